"""The digest's links: unsubscribe (RFC 8058 one-click), connect back, "I'd like to meet".
A GET only asks; a POST acts once; a forged token or another event's people is a 404."""

import re
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import PASSWORD, REUNION_START, csrf_token
from sqlalchemy import func, select
from support.pages import body as text

from checkin.accounts import users
from checkin.events import events
from checkin.extensions import db
from checkin.mail import links
from checkin.models import Card, Guest, MeetRequest, Outbox
from checkin.room import cards

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def path(app, purpose, reader_id, other_id=None) -> str:
    """The link's path, as the digest would carry it."""
    with app.test_request_context():
        reader = db.session.get(Guest, reader_id)
        other = db.session.get(Guest, other_id) if other_id else None
        return links.PATHS[purpose].replace("<token>", links.token(purpose, reader, other))


def snapshot(app) -> dict:
    """Every row of every table, to compare before and after."""
    with app.app_context():
        return {
            table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
            for table in db.metadata.sorted_tables
        }


def unsubscribed_at(app, attendee_id):
    with app.app_context():
        return db.session.get(Guest, attendee_id).unsubscribed_at


def count(app, model, **where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def press(client, url, **data):
    """Open a page and press its button, as a person does (with the page's CSRF token)."""
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def same_page(html: str) -> str:
    """A page without what differs on every response anyway (the CSRF token's time stamp)."""
    return re.sub(r'(csrf-token" content="|X-CSRFToken": "|csrf_token" value=")[^"]+', r"\1…", html)


def grace_recorded_ada(app, people):
    with app.app_context():
        grace, ada = (db.session.get(Guest, people[n]) for n in ("grace", "ada"))
        cards.record(grace, ada, "grace-met-ada", note="Talked compilers")


# GET only asks


def test_opening_any_link_asks_and_changes_nothing(app, client, people):
    """GET of each link (twice, as a mail scanner and the person) shows a button; no row moves."""
    grace_recorded_ada(app, people)
    ada, grace = people["ada"], people["grace"]
    pages = {
        path(app, "unsubscribe", ada): "Unsubscribe from Fall Reunion’s emails?",
        path(app, "connect", ada, grace): "Add Grace Hopper to the people you met?",
        path(app, "meet", ada, grace): "If Grace also asks to meet you, we’ll email you both",
    }
    before = snapshot(app)
    for url, heading in pages.items():
        for _ in range(2):
            reply = client.get(url)
            assert reply.status_code == 200
            assert heading in text(reply)
            assert re.search(r'<form method="post" action="/mail/', text(reply))
            assert reply.headers["Cache-Control"] == "no-store"
    assert snapshot(app) == before


def test_the_unsubscribe_page_says_who_and_which_event(app, client, people):
    """The confirm page names the reader, the address and the event."""
    html = text(client.get(path(app, "unsubscribe", people["ada"])))
    assert "Ada Lovelace" in html and "ada@example.org" in html and "Fall Reunion" in html
    assert 'name="List-Unsubscribe" value="One-Click"' in html


# Unsubscribe


@pytest.mark.parametrize("encoding", ["form", "multipart"])
def test_one_click_post_unsubscribes_without_session_or_csrf(app, people, encoding):
    """A mail client's POST (body List-Unsubscribe=One-Click, no cookie) unsubscribes: 200."""
    client = app.test_client()  # no session, no CSRF token, never opened a page
    url = path(app, "unsubscribe", people["ada"])
    kind = "multipart/form-data" if encoding == "multipart" else None
    reply = client.post(url, data=ONE_CLICK, content_type=kind)
    assert reply.status_code == 200
    assert "You’re unsubscribed from Fall Reunion’s emails" in text(reply)
    assert "Subscribe again" in text(reply)
    assert unsubscribed_at(app, people["ada"]) is not None
    assert unsubscribed_at(app, people["grace"]) is None


def test_the_footer_link_confirms_then_unsubscribes(app, client, people):
    """A person opens the link and presses Unsubscribe: the same POST, the same answer."""
    url = path(app, "unsubscribe", people["ada"])
    html = text(client.get(url))
    assert unsubscribed_at(app, people["ada"]) is None
    form = re.search(r'action="([^"]+)"', html).group(1)
    reply = client.post(form, data=ONE_CLICK)
    assert reply.status_code == 200 and "You’re unsubscribed" in text(reply)
    assert unsubscribed_at(app, people["ada"]) is not None
    assert "You’re unsubscribed" in text(client.get(url))  # later visits say so


def test_unsubscribing_twice_is_fine(app, people):
    """The second one-click POST answers the same and keeps the first time."""
    client, url = app.test_client(), path(app, "unsubscribe", people["ada"])
    assert client.post(url, data=ONE_CLICK).status_code == 200
    first = unsubscribed_at(app, people["ada"])
    reply = client.post(url, data=ONE_CLICK)
    assert reply.status_code == 200 and "You’re unsubscribed" in text(reply)
    assert unsubscribed_at(app, people["ada"]) == first


def test_a_post_without_the_one_click_body_changes_nothing(app, people):
    """A bare POST (not RFC 8058's body) is refused with 400 and unsubscribes no one."""
    reply = app.test_client().post(path(app, "unsubscribe", people["ada"]), data={"x": "y"})
    assert reply.status_code == 400
    assert unsubscribed_at(app, people["ada"]) is None


def test_subscribe_again(app, client, people):
    """After unsubscribing, "Subscribe again" (a CSRF-protected POST) clears it."""
    url = path(app, "unsubscribe", people["ada"])
    html = text(client.post(url, data=ONE_CLICK))
    again = re.search(r'action="([^"]+/undo)"', html).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post(again).status_code == 400  # no CSRF token: refused
    assert unsubscribed_at(app, people["ada"]) is not None
    reply = client.post(again, data={"csrf_token": token})
    assert reply.status_code == 200
    assert "You’re subscribed to Fall Reunion’s emails again" in text(reply)
    assert unsubscribed_at(app, people["ada"]) is None
    assert "Unsubscribe from Fall Reunion" in text(client.get(url))


# Tokens that are not right


def forged_links(app, people) -> list[tuple[str, dict]]:
    """(path, POST body) for garbled tokens, tokens of another purpose, other events' ids."""
    ada, grace, bob = people["ada"], people["grace"], people["bob"]
    unsubscribe, connect = path(app, "unsubscribe", ada), path(app, "connect", ada, grace)
    meet = path(app, "meet", ada, grace)
    with app.app_context():
        other_purpose = links.token("unsubscribe", db.session.get(Guest, ada))
    return [
        (unsubscribe[:-3] + "abc", ONE_CLICK),  # tampered signature
        ("/mail/unsubscribe/not-a-token", ONE_CLICK),
        (unsubscribe.replace("unsubscribe", "meet", 1), {}),  # right signature, wrong purpose
        (connect.replace("connect", "unsubscribe", 1), ONE_CLICK),
        (meet.replace("meet", "connect", 1), {}),
        (f"/mail/connect/{other_purpose}", {}),  # a one-person token where two are needed
        (path(app, "meet", ada, bob), {}),  # Bob is at another event
        (path(app, "connect", bob, grace), {}),
        (path(app, "meet", ada, ada), {}),  # oneself
    ]


def test_forged_or_misused_tokens_are_not_found(app, client, people):
    """Every wrong token answers a 404 page with a clear message, and changes nothing."""
    grace_recorded_ada(app, people)
    before = snapshot(app)
    for url, body in forged_links(app, people):
        reply = client.get(url)
        assert reply.status_code == 404, url
        assert "This link does not work" in text(reply)
        if url.startswith("/mail/unsubscribe/"):  # the one-click POST needs no session
            assert app.test_client().post(url, data=body).status_code == 404, url
    assert snapshot(app) == before


def test_forged_posts_with_a_valid_csrf_token_are_not_found(app, client, people):
    """Even with a session and a CSRF token, a forged link's POST is a 404 and changes nothing."""
    token = csrf_token(client, path(app, "unsubscribe", people["ada"]))
    before = snapshot(app)
    for url, body in forged_links(app, people):
        reply = client.post(url, data={**body, "csrf_token": token})
        assert reply.status_code == 404, url
        assert "This link does not work" in text(reply)
    assert snapshot(app) == before


# Connect back


def test_connect_back_records_once(app, client, people):
    """Pressing "Add Grace" records her (via "back") and links to the app; twice: one card."""
    grace_recorded_ada(app, people)
    url = path(app, "connect", people["ada"], people["grace"])
    reply = press(client, url)
    assert reply.status_code == 200
    assert "Connected" in text(reply) and "Grace Hopper" in text(reply)
    assert re.search(r'href="http://127\.0\.0\.1:5000/in/[A-Z0-9]+"', text(reply))
    assert press(client, url).status_code == 200
    assert count(app, Card, author_id=people["ada"], subject_id=people["grace"], via="back") == 1
    assert count(app, Card) == 2
    with app.app_context():
        assert cards.mutual_ids(db.session.get(Guest, people["ada"])) == {people["grace"]}


def test_connect_back_signs_no_one_in(app, client, people):
    """After connecting, the event app still asks for the personal link's own button."""
    grace_recorded_ada(app, people)
    press(client, path(app, "connect", people["ada"], people["grace"]))
    with app.app_context():
        slug = db.session.get(Guest, people["ada"]).event.slug
    assert client.get(f"/e/{slug}/").status_code == 404


def test_connect_back_needs_the_other_to_have_recorded_you(app, client, people):
    """Grace never recorded Ada: a clear refusal on GET and POST, and no card."""
    url = path(app, "connect", people["ada"], people["grace"])
    for reply in (client.get(url), press(client, url)):
        assert reply.status_code == 404
        assert "Nothing to connect back" in text(reply)
    assert count(app, Card) == 0


def test_connect_back_needs_the_csrf_token(app, client, people):
    """A POST from elsewhere (no token) records nothing."""
    grace_recorded_ada(app, people)
    url = path(app, "connect", people["ada"], people["grace"])
    assert client.post(url).status_code == 400
    assert count(app, Card) == 1


# I'd like to meet


def test_asking_to_meet_records_the_wish_once(app, client, people):
    """The POST records one MeetRequest however often it is pressed, and answers "Noted"."""
    url = path(app, "meet", people["ada"], people["grace"])
    for _ in range(2):
        reply = press(client, url)
        assert reply.status_code == 200
        assert "Noted" in text(reply) and "If they ask too, you’ll both get an email." in text(
            reply
        )
    assert count(app, MeetRequest, requester_id=people["ada"], wanted_id=people["grace"]) == 1
    assert count(app, MeetRequest) == 1
    assert count(app, Outbox) == 0


def test_asking_to_meet_needs_the_csrf_token(app, client, people):
    """A POST from elsewhere (no token) records nothing."""
    assert client.post(path(app, "meet", people["ada"], people["grace"])).status_code == 400
    assert count(app, MeetRequest) == 0


def test_one_sided_interest_is_never_revealed(app, people, inbox, smtp_url):
    """The answer to a one-sided ask and to the ask that makes it mutual are the same page."""
    ada, grace = app.test_client(), app.test_client()
    one_sided = press(ada, path(app, "meet", people["ada"], people["grace"]))
    mutual = press(grace, path(app, "meet", people["grace"], people["ada"]))
    assert one_sided.status_code == mutual.status_code == 200
    assert same_page(text(one_sided)) == same_page(text(mutual))
    assert count(app, Outbox) == 2  # the mutual one did introduce them


def test_a_mutual_wish_sends_each_the_others_contact(app, people, inbox, smtp_url):
    """Both ask: exactly two introductions, sent over SMTP, each with the other's address."""
    press(app.test_client(), path(app, "meet", people["ada"], people["grace"]))
    assert inbox.messages == []  # one-sided: nothing is sent to anyone
    press(app.test_client(), path(app, "meet", people["grace"], people["ada"]))
    press(app.test_client(), path(app, "meet", people["grace"], people["ada"]))  # a repeat
    with app.app_context():
        kinds = sorted(db.session.execute(select(Outbox.attendee_id, Outbox.kind)).all())
    assert kinds == sorted(
        [(people["ada"], f"match:{people['grace']}"), (people["grace"], f"match:{people['ada']}")]
    )
    [to_ada] = inbox.to("ada@example.org")
    [to_grace] = inbox.to("grace@example.org")
    assert len(inbox.messages) == 2
    assert "grace@example.org" in to_ada.get_body(("plain",)).get_content()
    assert "ada@example.org" in to_grace.get_body(("plain",)).get_content()


# Racing


class Reader:
    """One person's browser: its own connection and cookie, a CSRF token from the page."""

    def __init__(self, server, url: str):
        self.connection = server.connect(timeout=30)
        self.url = url
        self.referer = server.origin + url  # the form posts back to its own page
        self.connection.request("GET", url)
        response = self.connection.getresponse()
        html = response.read().decode()
        self.cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def press(self) -> int:
        """POST the page's form; the status."""
        body = urllib.parse.urlencode({"csrf_token": self.token})
        headers = {"Cookie": self.cookie, "Content-Type": "application/x-www-form-urlencoded"}
        headers["Referer"] = self.referer
        self.connection.request("POST", self.url, body, headers)
        response = self.connection.getresponse()
        response.read()
        return response.status


def test_racing_mutual_wishes_queue_two_introductions_not_four(
    app, server, people, make_guest, inbox, smtp_url
):
    """Pairs asking each other at the same instant: two introductions per pair, mail sent once."""
    with app.app_context():
        slug = db.session.get(Guest, people["ada"]).event.slug
    pairs = [
        (make_guest(slug, f"Left {i}")[0], make_guest(slug, f"Right {i}")[0]) for i in range(4)
    ]
    for left, right in pairs:
        readers = [
            Reader(server, path(app, "meet", left, right)),
            Reader(server, path(app, "meet", right, left)),
        ]
        barrier = threading.Barrier(2)

        def go(reader, barrier=barrier):
            barrier.wait()
            return reader.press()

        with ThreadPoolExecutor(2) as pool:
            assert list(pool.map(go, readers)) == [200, 200]
    assert count(app, MeetRequest) == 8
    assert count(app, Outbox) == 8
    for left, right in pairs:
        assert count(app, Outbox, attendee_id=left, kind=f"match:{right}") == 1
        assert count(app, Outbox, attendee_id=right, kind=f"match:{left}") == 1
    assert len(inbox.messages) == 8
    assert len({m["To"] for m in inbox.messages}) == 8


# Rate limits


def test_pressing_a_link_too_often_is_limited(limited):
    """The eleventh POST to one link in a minute answers 429; another link still works."""
    with limited.app_context():
        organizer = users.create_organizer("o@example.org", PASSWORD)
        start = REUNION_START
        event = events.create_event(organizer, "Fall Reunion", "Hall", start, start, "UTC")
        people = [Guest(event_id=event.id, name=name) for name in ("Ada Lovelace", "Grace")]
        db.session.add_all(people)
        db.session.commit()
        ada, grace = (person.id for person in people)
    client, url = limited.test_client(), path(limited, "unsubscribe", ada)
    statuses = [client.post(url, data=ONE_CLICK).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    assert "Too many requests from this link" in text(client.post(url, data=ONE_CLICK))
    assert client.post(path(limited, "unsubscribe", grace), data=ONE_CLICK).status_code == 200
