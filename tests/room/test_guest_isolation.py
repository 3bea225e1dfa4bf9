"""Guests kept apart, found by walking the URL map: A with B's ids, slugs and cards gets
404 or 403 and never B's notes; organizer and guest sessions stay on their own sides."""

import uuid
from itertools import product
from urllib.parse import urlencode

import pytest
from conftest import csrf_token
from core.test_security import organizer_rule, rules, snapshot
from sqlalchemy import select
from support.pages import HTMX

from checkin.extensions import db
from checkin.models import Card, Guest
from checkin.room import cards

NOTES = {
    "b_about_a": "B-private-note-about-A-7f3a",
    "b_about_c": "B-private-note-about-C-91c2",
    "x_about_y": "X-private-note-about-Y-0d5e",
}
MY_NOTE = "A-own-note-4b1e"


@pytest.fixture
def two_rooms(app, make_event, make_guest, set_guest):
    """Event Alpha: A, B, C in the room, B's cards of A and C, A's card of C.
    Event Bravo (another organizer): X and Y, X's card of Y."""
    alpha = make_event("Alpha")
    bravo = make_event("Bravo", email="bravo@example.org")
    ids, codes = {}, {}
    for key, slug in (("a", alpha), ("b", alpha), ("c", alpha), ("x", bravo), ("y", bravo)):
        ids[key], codes[key] = make_guest(slug, f"Person {key.upper()}")
        set_guest(ids[key], checked_in=True, consent_findable=True, residence_hall="Hall")
    card_ids = {}
    with app.app_context():
        people = {key: db.session.get(Guest, value) for key, value in ids.items()}
        for author, subject, note in (
            ("b", "a", NOTES["b_about_a"]),
            ("b", "c", NOTES["b_about_c"]),
            ("x", "y", NOTES["x_about_y"]),
            ("a", "c", MY_NOTE),
        ):
            made = cards.record(people[author], people[subject], str(uuid.uuid4()), note)
            card_ids[f"{author}_about_{subject}"] = made.card.id
    return {"alpha": alpha, "bravo": bravo, "ids": ids, "codes": codes, "cards": card_ids}


STAND_INS = {"field": "interests"}  # path arguments that name no one


def guest_rule(rule) -> bool:
    """Routes a guest session uses: the event app's pages and the cards API."""
    return rule.rule.startswith("/e/<") or rule.endpoint.startswith("cards_api.")


def has_ids(rule) -> bool:
    """Routes that name a guest, a card or a code in the path."""
    return bool(set(rule.arguments) - {"slug", *STAND_INS})


def fill(app, rule, world, event, card, person, query=False) -> str:
    """The rule's URL on world[event]: card arguments get the card, other ids the person's id,
    other text the person's code; with query, GET routes also get ?attendee_id=&code=&q= as
    pickers and scanners send them."""
    slug, card_id = world[event], world["cards"][card]
    attendee_id, code = world["ids"][person], world["codes"][person]
    values = {}
    for name in rule.arguments:
        integer = type(rule._converters[name]).__name__ == "IntegerConverter"
        if name == "slug":
            values[name] = slug
        elif "card" in name:
            values[name] = card_id
        else:
            values[name] = attendee_id if integer else STAND_INS.get(name, code.rsplit("/", 1)[-1])
    with app.test_request_context():
        path = app.url_map.bind("localhost").build(rule.endpoint, values, method=None)
    if query:
        path += f"?{urlencode({'attendee_id': attendee_id, 'code': code, 'q': 'Person'})}"
    return path


def send(client, rule, method, path, token, attendee_id):
    """One request as a page or the API would send it, with a valid CSRF token."""
    headers = {"X-CSRFToken": token}
    fields = {"nonce": str(uuid.uuid4()), "note": "taken over", "attendee_id": attendee_id}
    if rule.endpoint.startswith("cards_api."):
        return client.open(path, method=method, headers=headers, json=fields)
    return client.open(path, method=method, headers=headers, data={**fields, "csrf_token": token})


class Phone:
    """A's phone: signed in again before each request, since a walk may pass a sign-out."""

    def __init__(self, client, sign_in_guest, attendee_id):
        self.client, self.sign_in, self.attendee_id = client, sign_in_guest, attendee_id

    def send(self, rule, method, path, body_id, headers=None):
        token = self.sign_in(self.client, self.attendee_id)
        if method == "GET":
            return self.client.get(path, headers=headers or {})
        return send(self.client, rule, method, path, token, body_id)


def public(app, rule, method, path, body_id, status) -> bool:
    """True when a visitor with no session gets the same status: a page open to anyone."""
    visitor = app.test_client()
    return send(visitor, rule, method, path, csrf_token(visitor), body_id).status_code == status


def hidden(app, rule, method, path, body_id, reply) -> bool:
    """403 or 404, or the answer anyone gets (e.g. the signed-out page)."""
    status = reply.status_code
    return status in (403, 404) or public(app, rule, method, path, body_id, status)


def others_notes_in(reply) -> list[str]:
    text = reply.get_data(as_text=True)
    return [note for note in NOTES.values() if note in text]


def cards_by(app, *author_ids) -> list:
    """Every card these guests wrote, as stored."""
    query = select(Card).where(Card.author_id.in_(author_ids)).order_by(Card.id)
    with app.app_context():
        return [(c.id, c.note, c.tags, c.starred, c.subject_id) for c in db.session.scalars(query)]


def changes_state(rule) -> bool:
    return bool(rule.methods & {"POST", "PATCH", "PUT", "DELETE"})


@pytest.fixture
def as_a(app, client, two_rooms, sign_in_guest):
    """The test client signed in as A; returns A's CSRF token."""
    return sign_in_guest(client, two_rooms["ids"]["a"])


@pytest.fixture
def a_phone(client, two_rooms, sign_in_guest, as_a):
    """A's phone, signed in before every request."""
    return Phone(client, sign_in_guest, two_rooms["ids"]["a"])


@pytest.mark.parametrize(
    ("event", "card", "walked", "at_least"),
    [
        # Another event: Bravo's slug, X's card and Y's id on every guest route.
        ("bravo", "x_about_y", guest_rule, 7),
        # A's own event with B's card, and Bravo's Y as the person, on routes naming ids.
        ("alpha", "b_about_a", lambda r: guest_rule(r) and has_ids(r), 3),
    ],
    ids=["another-events-pages-and-cards", "my-event-with-others-cards-and-people"],
)
def test_others_pages_cards_and_people_are_not_found(
    app, a_phone, two_rooms, event, card, walked, at_least
):
    """A walking these routes with another's slug, card, id or code gets 404 or 403 (or, on a
    page open to anyone, what anyone gets), never a note, and changes nothing."""
    before = snapshot(app)
    checked = 0
    for rule, method in rules(app, walked):
        path = fill(app, rule, two_rooms, event, card, "y")
        reply = a_phone.send(rule, method, path, two_rooms["ids"]["y"])
        assert hidden(app, rule, method, path, two_rooms["ids"]["y"], reply), (
            f"{method} {path} answered {reply.status_code}"
        )
        assert others_notes_in(reply) == [], f"{method} {path}"
        checked += 1
    assert checked >= at_least
    assert snapshot(app) == before


def test_nothing_a_can_get_shows_anyone_elses_note(app, client, a_phone, two_rooms):
    """Every route A can call, with B's ids, cards and code, never answers B's or X's notes,
    though B's card is about A; A's own note does show, on A's own cards."""
    seen_mine = False
    checked = 0
    for rule, method in rules(app, guest_rule):
        for query, headers in product((False, method == "GET"), ({}, HTMX)):
            path = fill(app, rule, two_rooms, "alpha", "b_about_a", "b", query)
            reply = a_phone.send(rule, method, path, two_rooms["ids"]["b"], headers)
            assert reply.status_code < 500, f"{method} {path} answered {reply.status_code}"
            assert others_notes_in(reply) == [], f"{method} {path}"
            seen_mine |= MY_NOTE in reply.get_data(as_text=True)
            checked += 1
    assert checked >= 14 and seen_mine
    a_phone.sign_in(client, two_rooms["ids"]["a"])
    card = client.get(
        f"/api/v1/events/{two_rooms['alpha']}/cards/{two_rooms['cards']['a_about_c']}"
    )
    assert card.get_json()["note"] == MY_NOTE


def test_another_events_people_show_nowhere_in_my_event(app, a_phone, two_rooms):
    """Every GET of A's event, with Bravo's person as ?attendee_id=, ?code= and in a search,
    names no one from Bravo."""
    checked = 0
    for rule, _ in rules(app, lambda r: guest_rule(r) and "GET" in r.methods):
        path = fill(app, rule, two_rooms, "alpha", "x_about_y", "y", query=True)
        for headers in ({}, HTMX):
            reply = a_phone.send(rule, "GET", path, two_rooms["ids"]["y"], headers)
            text = reply.get_data(as_text=True)
            assert reply.status_code < 500, f"GET {path} answered {reply.status_code}"
            assert "Person X" not in text and "Person Y" not in text, f"GET {path}"
            checked += 1
    assert checked >= 10


def test_b_notes_stay_on_the_cards_of_b(app, a_phone, two_rooms):
    """B's card about A is still B's: A's walk changed nothing of it."""
    theirs = (two_rooms["ids"]["b"], two_rooms["ids"]["x"])
    before = cards_by(app, *theirs)
    checked = 0
    for rule, method in rules(app, lambda r: guest_rule(r) and changes_state(r)):
        if method == "GET":
            continue
        path = fill(app, rule, two_rooms, "alpha", "b_about_a", "b")
        a_phone.send(rule, method, path, two_rooms["ids"]["b"])
        checked += 1
    assert checked >= 3
    assert cards_by(app, *theirs) == before and len(before) == 3


def test_an_organizer_session_cannot_use_the_cards_api(app, client, two_rooms, sign_in):
    """The organizer of Alpha is no guest: every cards API call answers 401."""
    assert sign_in().status_code == 302
    token = csrf_token(client, "/events")
    before = snapshot(app)
    checked = 0
    for rule, method in rules(app, lambda r: r.endpoint.startswith("cards_api.")):
        path = fill(app, rule, two_rooms, "alpha", "b_about_a", "b")
        reply = send(client, rule, method, path, token, two_rooms["ids"]["b"])
        assert reply.status_code == 401, f"{method} {path} answered {reply.status_code}"
        assert others_notes_in(reply) == [] and MY_NOTE not in reply.get_data(as_text=True)
        checked += 1
    assert checked >= 6
    assert snapshot(app) == before


def test_an_guest_session_reaches_no_organizer_route(app, client, two_rooms, as_a):
    """Signed in as A, every organizer URL and method sends to sign-in (or 404): no data."""
    before = snapshot(app)
    values = {"slug": two_rooms["alpha"], "attendee_id": two_rooms["ids"]["b"], "pass_id": 1}
    checked = 0
    for rule, method in rules(app, organizer_rule):
        filled = {name: values.get(name, 1) for name in rule.arguments}
        with app.test_request_context():
            path = app.url_map.bind("localhost").build(rule.endpoint, filled, method=None)
        reply = client.open(path, method=method, data={"csrf_token": as_a})
        redirected = reply.status_code == 302 and reply.location.startswith("/sign-in")
        assert redirected or reply.status_code == 404, f"{method} {path}: {reply.status_code}"
        assert "Person B" not in reply.get_data(as_text=True)
        checked += 1
    assert checked >= 14
    assert snapshot(app) == before


@pytest.mark.parametrize("who", ["x", "y"])
def test_another_events_codes_and_ids_are_unknown(app, client, two_rooms, as_a, who):
    """Bravo's QR codes and guest ids mean no one at Alpha: 404, nothing recorded."""
    before = snapshot(app)
    path = f"/api/v1/events/{two_rooms['alpha']}/cards"
    for body in ({"code": two_rooms["codes"][who]}, {"attendee_id": two_rooms["ids"][who]}):
        reply = client.post(
            path, json={**body, "nonce": str(uuid.uuid4())}, headers={"X-CSRFToken": as_a}
        )
        assert reply.status_code == 404
        assert f"Person {who.upper()}" not in reply.get_data(as_text=True)
    assert snapshot(app) == before
