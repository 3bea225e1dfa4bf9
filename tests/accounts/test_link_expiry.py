"""Personal links end: PERSONAL_LINK_DAYS after the event's digest they stop signing in (and
end the sessions they opened) with a clear page; asking again sends a fresh one that works.
An organizer who signs in with a guest's link is on record, and the organizer's guest page no
longer shows the link."""

import re
from datetime import timedelta

from conftest import csrf_token
from sqlalchemy import select, update

from checkin.accounts import personal_links, users
from checkin.extensions import db
from checkin.models import Event, Guest, OrganizerSignIn, PersonalLink, utcnow

DAYS = 30


def event_ended(app, days_ago: float) -> None:
    """Move the event (and the links made for it) that many days into the past."""
    with app.app_context():
        ended = utcnow() - timedelta(days=days_ago)
        db.session.execute(
            update(Event).values(starts_at=ended - timedelta(hours=5), ends_at=ended)
        )
        db.session.execute(update(PersonalLink).values(created_at=ended - timedelta(days=20)))
        db.session.commit()


def follow(client, path):
    """Open a personal link and press Continue."""
    return client.post(path, data={"csrf_token": csrf_token(client, path)})


def test_the_link_works_until_some_days_after_the_digest(app, client, guest):
    """Ended 20 days ago (digest the next morning): the link still signs Ada in."""
    event_ended(app, 20)
    assert follow(client, guest["path"]).location == f"/e/{guest['slug']}/"


def test_an_expired_link_says_so_and_offers_a_fresh_one(app, client, guest):
    """Past the end, GET and POST answer 410 with "expired" and the event's form; nothing
    signs in."""
    event_ended(app, DAYS + 3)
    shown = client.get(guest["path"])
    html = shown.get_data(as_text=True)
    assert shown.status_code == 410
    assert "This link has expired" in html and "Fall Reunion" in html
    assert f'action="/e/{guest["slug"]}/link-again"' in html
    assert shown.headers["Cache-Control"] == "no-store"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    posted = client.post(guest["path"], data={"csrf_token": token})
    assert posted.status_code == 410
    assert client.get(f"/e/{guest['slug']}/").status_code == 404


def test_a_session_ends_when_its_link_expires(app, client, guest):
    """Signed in while the link worked, Ada is signed out once it has expired."""
    home = f"/e/{guest['slug']}/"
    follow(client, guest["path"])
    assert client.get(home).status_code == 200
    event_ended(app, DAYS + 3)
    assert client.get(home).status_code == 404


def test_asking_again_after_the_end_sends_a_fresh_link_that_works(
    app, client, guest, inbox, smtp_url
):
    """ "Email me my link again" replaces the expired link; the new one signs in for DAYS more."""
    event_ended(app, DAYS + 3)
    path = f"/e/{guest['slug']}/link-again"
    client.post(path, data={"csrf_token": csrf_token(client, path), "email": "ada@example.org"})
    [email] = inbox.messages
    fresh = re.search(r"/in/[A-Z0-9]+", email.get_body(("plain",)).get_content()).group(0)
    assert fresh != guest["path"]
    assert follow(client, fresh).location == f"/e/{guest['slug']}/"
    assert client.get(guest["path"]).status_code == 404  # the old one is replaced now


def test_the_end_follows_the_setting(app, guest):
    """PERSONAL_LINK_DAYS moves the end: a day after the digest, or after the link was made."""
    with app.app_context():
        link = personal_links.current(guest["id"])
        digest = link.guest.event.ends_at + timedelta(days=1)
        app.config["PERSONAL_LINK_DAYS"] = 1
        end = personal_links.expires_at(link)
        assert digest < end <= digest + timedelta(days=2)
        assert personal_links.works(link, end - timedelta(seconds=1))
        assert not personal_links.works(link, end)


def test_an_organizer_who_signs_in_with_a_guests_link_is_on_record(app, client, guest, sign_in):
    """The organizer, signed in, opens Ada's link and continues: a row names them; Ada
    signing in herself adds none."""
    follow(client, guest["path"])  # Ada herself
    with app.app_context():
        assert db.session.scalar(select(OrganizerSignIn.id)) is None
    client.post("/sign-out", data={"csrf_token": csrf_token(client, f"/e/{guest['slug']}/")})
    sign_in()
    assert follow(client, guest["path"]).location == f"/e/{guest['slug']}/"
    with app.app_context():
        ada = db.session.get(Guest, guest["id"])
        [record] = users.organizer_sign_ins(ada)
        assert record.organizer_email == "organizer@example.org"
        assert abs(record.signed_in_at - utcnow()) < timedelta(minutes=1)


def test_the_organizers_guest_page_does_not_show_the_personal_link(app, client, guest, sign_in):
    """The page names the ticket email as the way to send it; no /in/ link anywhere."""
    sign_in()
    page = client.get(f"/events/{guest['slug']}/attendees/{guest['id']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:300]
    assert "/in/" not in html
    assert "Email the ticket" in html
