"""Personal links: a GET only asks, a POST signs in; reissuing ends the old link and its
sessions; "send me my link again" answers alike for every address and is rate limited."""

import json
import re
from datetime import timedelta

import pytest
from conftest import csrf_token
from sqlalchemy import select, update

from checkin.accounts import personal_links
from checkin.extensions import db
from checkin.models import Event, Guest, PersonalLink, utcnow


def follow(client, path):
    """Open a personal link and press Continue, as a person does."""
    return client.post(path, data={"csrf_token": csrf_token(client, path)})


def links_table(app) -> list:
    """Every personal-link row, to compare before and after."""
    with app.app_context():
        return db.session.execute(select(PersonalLink.__table__)).all()


def test_opening_the_link_asks_and_changes_nothing(app, client, guest):
    """GET shows "Continue as Ada" and a POST form; it signs no one in and uses nothing up."""
    before = links_table(app)
    for _ in range(2):  # a mail scanner, then the person
        reply = client.get(guest["path"])
        html = reply.get_data(as_text=True)
        assert reply.status_code == 200
        assert "Continue as Ada" in html and "Fall Reunion" in html
        assert re.search(rf'<form method="post" action="{guest["path"]}">', html)
        assert 'name="csrf_token"' in html
        assert reply.headers["Cache-Control"] == "no-store"
    assert client.get(guest["home"]).status_code == 404
    assert links_table(app) == before
    assert follow(client, guest["path"]).location == guest["home"]


def test_continuing_signs_in_and_opens_the_event_home(client, guest):
    """The POST signs Ada in and sends her to her event home."""
    reply = follow(client, guest["path"])
    assert reply.status_code == 302 and reply.location == guest["home"]
    assert client.get(guest["home"]).status_code == 200
    assert client.get(guest["path"]).location == guest["home"]  # already in: straight home


def test_continuing_needs_the_csrf_token(client, guest):
    """A POST from elsewhere (no token) signs no one in."""
    assert client.post(guest["path"]).status_code == 400
    assert client.get(guest["home"]).status_code == 404


def test_a_reissued_link_stops_working_and_ends_its_sessions(app, client, guest):
    """After a new link: the old one is a friendly 404, and its sessions are signed out."""
    follow(client, guest["path"])
    assert client.get(guest["home"]).status_code == 200
    with app.app_context():
        new = personal_links.url_of(personal_links.issue(db.session.get(Guest, guest["id"])))
    assert client.get(guest["home"]).status_code == 404
    old = client.get(guest["path"])
    assert old.status_code == 404
    html = old.get_data(as_text=True)
    assert "This link does not work" in html and "replaced by a newer one" in html
    assert f'action="/e/{guest["slug"]}/link-again"' in html
    fresh = app.test_client()
    assert follow(fresh, new.removeprefix("http://127.0.0.1:5000")).location == guest["home"]
    assert client.post(guest["path"], data={"csrf_token": csrf_token(client)}).status_code == 404


@pytest.mark.parametrize("kind", ["guest", "attendee"])
def test_a_session_of_either_kind_name_opens_the_home(app, client, guest, kind):
    """A guest signed in before sessions said "guest" (they said "attendee") stays signed in."""
    with app.app_context():
        link = personal_links.ensure(db.session.get(Guest, guest["id"]))
        user_id = f"{kind}:{guest['id']}:{link.id}"
    with client.session_transaction() as session:
        session["_user_id"] = user_id
    assert client.get(guest["home"]).status_code == 200
    with client.session_transaction() as session:
        session["_user_id"] = f"visitor:{guest['id']}:{link.id}"
    assert client.get(guest["home"]).status_code == 404


@pytest.mark.parametrize("token", ["A" * 32, "not-a-token", "a" * 500])
def test_an_unknown_link_offers_to_send_it_again(client, token):
    """Any other token: 404 with the "send me my link again" form, naming no event."""
    reply = client.get(f"/in/{token}")
    html = reply.get_data(as_text=True)
    assert reply.status_code == 404
    assert "This link does not work" in html and 'action="/link-again"' in html
    assert "Send me my link again" in html


def same_page(html: str) -> str:
    """A page without what differs on every response anyway (the CSRF token's time stamp)."""
    return re.sub(r'(csrf-token" content="|X-CSRFToken": ")[^"]+', r"\1…", html)


def ask_again(client, email, path):
    """Submit "send me my link again"."""
    return client.post(path, data={"csrf_token": csrf_token(client, path), "email": email})


@pytest.mark.parametrize("where", ["event", "anywhere"])
def test_link_again_answers_alike_and_mails_only_known_guests(
    app, client, guest, inbox, smtp_url, where
):
    """Known and unknown addresses get the same page; only the known one gets an email."""
    with app.app_context():  # an event still to come, whatever today's date
        db.session.execute(update(Event).values(ends_at=utcnow() + timedelta(days=1)))
        db.session.commit()
    path = f"/e/{guest['slug']}/link-again" if where == "event" else "/link-again"
    assert "Send me my link again" in client.get(path).get_data(as_text=True)
    known = ask_again(client, " ADA@example.org ", path)
    unknown = ask_again(client, "nobody@example.org", path)
    assert known.status_code == unknown.status_code == 200
    answer = same_page(known.get_data(as_text=True).replace("ADA@example.org", "X"))
    assert answer == same_page(unknown.get_data(as_text=True).replace("nobody@example.org", "X"))
    assert "If X is on the guest list" in answer
    [email] = inbox.messages
    assert str(email["To"].addresses[0].addr_spec) == "ada@example.org"
    assert guest["path"] in email.get_body(("plain",)).get_content()  # the link that works
    assert email.get_body(("html",)).get_content().count("cid:") == 1  # with the QR


def test_link_again_wants_an_address(client, guest):
    """Something that is no address is asked again, the same for everyone."""
    reply = ask_again(client, "ada", f"/e/{guest['slug']}/link-again")
    assert reply.status_code == 422
    assert "Please enter the email address you registered with." in reply.get_data(as_text=True)


def test_link_again_is_limited_per_address(limited):
    """The fourth request in an hour for one address (any capitals) answers 429; others go on."""
    client = limited.test_client()
    replies = [
        ask_again(client, email, "/link-again")
        for email in ("ada@example.org", "Ada@example.org", "ADA@EXAMPLE.ORG", "ada@example.org")
    ]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert "Too many requests for a link" in replies[-1].get_data(as_text=True)
    assert ask_again(client, "grace@example.org", "/link-again").status_code == 200


def test_links_command_lists_each_guests_link(app, runner, guest, make_guest):
    """`flask links SLUG --json`: name, email, code, ticket and personal link, consents."""
    make_guest(guest["slug"], "Grace Hopper", email="grace@example.org")
    result = runner.invoke(args=["links", guest["slug"], "--json"])
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert [(e["name"], e["email"]) for e in entries] == [
        ("Ada Lovelace", "ada@example.org"),
        ("Grace Hopper", "grace@example.org"),
    ]
    assert entries[0]["login_url"] == f"http://127.0.0.1:5000{guest['path']}"
    assert re.fullmatch(r"http://127\.0\.0\.1:5000/t/[A-Z2-7]{32}", entries[1]["code"])
    assert entries[1]["consents"] == {"findable": False, "share_contact": False, "digest": False}
    client = app.test_client()
    path = entries[1]["login_url"].removeprefix("http://127.0.0.1:5000")
    assert follow(client, path).location == guest["home"]
    assert (
        "Grace Hopper <grace@example.org>: http://"
        in runner.invoke(args=["links", guest["slug"]]).output
    )
    assert runner.invoke(args=["links", "no-such-event"]).exit_code != 0


def test_the_demo_lists_links_and_mixed_consents(app, runner):
    """The demo's guests carry a working personal link and their (mixed) consent choices."""
    result = runner.invoke(args=["demo", "--json", "--guests", "40", "--seed", "3"])
    people = json.loads(result.output)["guests"]
    assert all(
        re.fullmatch(r"http://127\.0\.0\.1:5000/in/[A-Z2-7]{32}", p["login_url"]) for p in people
    )
    findable = [p["consents"]["findable"] for p in people]
    assert 0 < findable.count(False) < findable.count(True)
    assert {tuple(p["consents"]) for p in people} == {("findable", "share_contact", "digest")}
    client = app.test_client()
    path = people[0]["login_url"].removeprefix("http://127.0.0.1:5000")
    assert follow(client, path).status_code == 302
