"""The demo command: a realistic event, printed as JSON a script can use."""

import json
import uuid

from markupsafe import escape


def test_demo_json_shape(runner):
    """--json prints one object with the event, organizer login, door link and guests."""
    result = runner.invoke(args=["demo", "--json", "--guests", "12", "--seed", "7"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert set(info) == {"association", "event", "organizer", "door", "guests"}
    assert set(info["association"]) == {"name", "slug"}
    assert set(info["event"]) >= {"slug", "name", "url", "public_url"}
    assert info["event"]["public_url"].endswith(f"/e/{info['event']['slug']}")
    assert info["door"]["url"].endswith(info["door"]["token"])
    assert len(info["guests"]) == 12
    assert all(set(a) >= {"name", "email", "code", "ticket_url"} for a in info["guests"])
    assert len({a["email"] for a in info["guests"]}) == 12


def test_demo_login_and_door_work(client, runner, sign_in):
    """The printed password signs in and the printed door token checks in a printed code."""
    info = json.loads(runner.invoke(args=["demo", "--json", "--guests", "5"]).output)
    signed_in = sign_in(info["organizer"]["email"], info["organizer"]["password"])
    assert signed_in.status_code == 302
    assert client.get(f"/events/{info['event']['slug']}").status_code == 200
    reply = client.post(
        f"/api/v1/events/{info['event']['slug']}/checkins",
        json={"code": info["guests"][0]["code"], "nonce": str(uuid.uuid4())},
        headers={"Authorization": f"Bearer {info['door']['token']}"},
    ).get_json()
    assert reply["result"] in {"admitted", "already_admitted"}
    assert reply["attendee"]["name"] == info["guests"][0]["name"]


def test_demo_code_is_the_ticket_url_and_opens_the_ticket_page(client, runner):
    """The guest's `code` is their ticket URL and opens their page (the QR drawn there is
    checked in test_cli_output.py, signed in as the organizer who may see it)."""
    info = json.loads(runner.invoke(args=["demo", "--json", "--guests", "3"]).output)
    person = info["guests"][0]
    assert person["code"] == person["ticket_url"]
    page = client.get(person["ticket_url"].replace("http://127.0.0.1:5000", ""))
    assert page.status_code == 200
    assert str(escape(person["name"])) in page.get_data(as_text=True)


def test_demo_profiles_are_realistic(app, runner):
    """Demo guests carry class years, halls, clubs, industries, interests, some mentors."""
    info = json.loads(
        runner.invoke(args=["demo", "--json", "--guests", "60", "--seed", "1"]).output
    )
    with app.app_context():
        from sqlalchemy import select

        from checkin.extensions import db
        from checkin.models import Event, Guest

        today = select(Event.id).where(Event.slug == info["event"]["slug"]).scalar_subquery()
        people = db.session.scalars(select(Guest).where(Guest.event_id == today)).all()
    assert all(p.class_year and p.residence_hall and p.industry and p.interests for p in people)
    assert 0 < sum(bool(p.willing_to_mentor) for p in people) < 60
    assert sum(p.checked_in_at is not None for p in people) == 20


def test_demo_if_empty_shows_the_existing_demo(runner):
    """--if-empty on a database with a demo prints that demo again, with a working login."""
    first = json.loads(runner.invoke(args=["demo", "--json", "--guests", "4"]).output)
    again = json.loads(runner.invoke(args=["demo", "--json", "--if-empty"]).output)
    assert again["event"]["slug"] == first["event"]["slug"]
    assert [a["code"] for a in again["guests"]] == [a["code"] for a in first["guests"]]


def test_demo_readable_output(runner):
    """Without --json it prints where to click."""
    result = runner.invoke(args=["demo", "--guests", "3"])
    assert "Door link" in result.output and "password" in result.output


def test_demo_readable_output_links_the_badges_page_an_organizer_can_open(client, runner, sign_in):
    """The printed badges link is the organizer's "Badges and poster" page."""
    output = runner.invoke(args=["demo", "--guests", "3"]).output
    line = next(x for x in output.splitlines() if "Badges" in x)
    path = line.rsplit(": ", 1)[1].replace("http://127.0.0.1:5000", "")
    email = next(x for x in output.splitlines() if "Sign in as" in x).split()[3]
    password = output.split("with password ")[1].split()[0]
    assert client.get(path).status_code in (302, 401)  # organizers only
    sign_in(email, password)
    assert "Badges and door poster" in client.get(path).get_data(as_text=True)


def test_demo_readable_output_offers_a_guests_personal_link_that_opens(client, runner):
    """The printed personal link opens "Continue as <first name>" for a findable guest."""
    output = runner.invoke(args=["demo", "--guests", "6", "--seed", "3"]).output
    line = next(x for x in output.splitlines() if "personal link" in x)
    name, url = line.split(": ", 1)[1].rsplit(": ", 1)
    page = client.get(url.replace("http://127.0.0.1:5000", "")).get_data(as_text=True)
    assert f"Continue as {name.split()[0]}" in page


def test_demo_public_page_takes_registrations(client, runner):
    """The printed public URL opens the demo event's page with the registration form."""
    info = json.loads(runner.invoke(args=["demo", "--json", "--guests", "3"]).output)
    page = client.get(info["event"]["public_url"].replace("http://127.0.0.1:5000", ""))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Class year" in html and 'action="/e/' in html
    assert "places left" in html


def test_demo_invitations_page_is_populated(client, runner, sign_in):
    """The demo's organizer finds invitations already sent and one failed, with "Send again"."""
    from support.pages import readable

    info = json.loads(runner.invoke(args=["demo", "--json", "--guests", "3"]).output)
    sign_in(info["organizer"]["email"], info["organizer"]["password"])
    page = client.get(f"/events/{info['event']['slug']}/invitations")
    text = readable(page)
    assert page.status_code == 200
    assert "5 sent" in text and "1 failed or uncertain" in text
    assert "ines.garcia@example.org" in text and "Send again" in text


def test_demo_association_remembers_who_met_before(app, runner):
    """The demo's association held an earlier event: guests who chose to be remembered list
    the people here today they met there; guests who did not choose it list no one."""
    info = json.loads(
        runner.invoke(args=["demo", "--json", "--guests", "40", "--seed", "3"]).output
    )
    with app.app_context():
        from sqlalchemy import select

        from checkin.extensions import db
        from checkin.members import demo_history
        from checkin.models import Association, Event, Guest

        association = db.session.scalar(
            select(Association).where(Association.slug == info["association"]["slug"])
        )
        assert association.name == info["association"]["name"]
        events = db.session.scalars(select(Event).where(Event.association_id == association.id))
        others = [e for e in events if e.name != info["event"]["name"]]
        assert [e.name for e in others] == [demo_history.earlier_name(others[0].starts_at)]
        remembered = set(
            db.session.scalars(
                select(Guest.email).where(
                    Guest.event_id
                    == db.session.scalar(
                        select(Event.id).where(Event.slug == info["event"]["slug"])
                    ),
                    Guest.consent_remember.is_(True),
                )
            )
        )
    names = {g["name"] for g in info["guests"]}
    met = [g for g in info["guests"] if g["met_before"]]
    assert met, "someone here met someone before"
    assert all(g["email"] in remembered for g in met)
    assert all(set(g["met_before"]) <= names and g["name"] not in g["met_before"] for g in met)
    assert all(not g["met_before"] for g in info["guests"] if g["email"] not in remembered)
