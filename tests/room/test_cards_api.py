"""The cards API as a phone uses it: session cookie, X-CSRFToken header, JSON in and out."""

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from checkin.extensions import db
from checkin.models import Card


def nonce() -> str:
    return str(uuid.uuid4())


def count_cards(app, **where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Card.id)).filter_by(**where))


@pytest.fixture
def api_room(app, make_event, make_guest, set_guest):
    """An event with Ada (signed-in side), Grace and Alan in the room, and another event."""
    slug = make_event("Fall Reunion")
    ada, ada_code = make_guest(slug, "Ada Lovelace", 2009)
    grace, grace_code = make_guest(slug, "Grace Hopper", 2010)
    alan, alan_code = make_guest(slug, "Alan Turing", 2008)
    hall = {"residence_hall": "Watson Hall", "consent_findable": True, "checked_in": True}
    set_guest(ada, **hall)
    set_guest(grace, employer="Navy", **hall)
    set_guest(alan, residence_hall="Watson Hall")  # neither findable nor checked in
    other = make_event("Spring Gala", email="other@example.org")
    stranger, stranger_code = make_guest(other, "Edsger Dijkstra", 2009)
    set_guest(stranger, consent_findable=True, checked_in=True)
    return {
        "slug": slug,
        "ada": ada,
        "grace": grace,
        "alan": alan,
        "codes": {"ada": ada_code, "grace": grace_code, "alan": alan_code},
        "other_slug": other,
        "stranger": stranger,
        "stranger_code": stranger_code,
    }


@pytest.fixture
def api(client, api_room, sign_in_guest):
    """Ada's client: call(method, path_suffix, json) with her session and CSRF header."""
    token = sign_in_guest(client, api_room["ada"])

    def call(method, suffix="", body=None, slug=None, headers=None):
        path = f"/api/v1/events/{slug or api_room['slug']}/{suffix}".rstrip("/")
        sent = {"X-CSRFToken": token} if headers is None else headers
        return client.open(path, method=method, json=body, headers=sent)

    call.token = token
    return call


def test_scanning_a_code_records_a_card(app, api, api_room):
    """A scanned QR makes a card: 201 with who they are, what we share, and my note."""
    reply = api(
        "POST",
        "cards",
        {"code": api_room["codes"]["grace"], "nonce": nonce(), "note": "Navy", "tags": ["coffee"]},
    )
    assert reply.status_code == 201
    card = reply.get_json()
    assert card["attendee"]["name"] == "Grace Hopper"
    assert card["attendee"]["employer"] == "Navy"
    assert any("Watson Hall" in chip for chip in card["shared"])
    assert card["note"] == "Navy" and card["tags"] == ["coffee"] and card["starred"] is False
    assert card["mutual"] is False and card["contact"] is None
    assert card["via"] == "scan" and card["created_at"].endswith("+00:00")
    assert count_cards(app) == 1


def test_the_same_nonce_again_answers_the_same_card(app, api, api_room):
    """A retried submission records nothing and answers 200 with the card it made."""
    body = {"code": api_room["codes"]["grace"], "nonce": nonce(), "note": "first"}
    first = api("POST", "cards", body)
    again = api("POST", "cards", {**body, "note": "second"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    assert count_cards(app) == 1


def test_another_nonce_for_the_same_person_answers_the_same_card(app, api, api_room):
    """Scanning someone twice keeps one card per person."""
    first = api("POST", "cards", {"code": api_room["codes"]["grace"], "nonce": nonce()})
    again = api("POST", "cards", {"attendee_id": api_room["grace"], "nonce": nonce()})
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert count_cards(app) == 1


def test_picking_from_the_room_list_records_by_id(api, api_room):
    """Someone checked in and findable can be picked by id."""
    reply = api("POST", "cards", {"attendee_id": api_room["grace"], "nonce": nonce()})
    assert reply.status_code == 201
    assert reply.get_json()["via"] == "list"


@pytest.mark.parametrize(
    "who, status",
    [
        ("stranger_code", 404),  # another event's QR
        ("garbage", 404),  # no one's
        ("own_code", 422),  # my own QR
        ("alan_id", 404),  # not findable, not checked in: not in my pick list
        ("stranger_id", 404),  # another event's guest
    ],
)
def test_codes_and_ids_that_are_not_someone_here(app, api, api_room, who, status):
    """Unknown people answer 404, my own code 422; nothing is recorded."""
    body = {
        "stranger_code": {"code": api_room["stranger_code"]},
        "garbage": {"code": "https://example.org/t/NOT-A-REAL-CODE"},
        "own_code": {"code": api_room["codes"]["ada"]},
        "alan_id": {"attendee_id": api_room["alan"]},
        "stranger_id": {"attendee_id": api_room["stranger"]},
    }[who]
    reply = api("POST", "cards", {**body, "nonce": nonce()})
    assert reply.status_code == status
    assert reply.get_json()["error"]
    assert "Dijkstra" not in reply.get_data(as_text=True)
    assert count_cards(app) == 0


def test_a_code_scanned_in_person_records_someone_not_findable(api, api_room):
    """Scanning Alan's badge works though he is not findable; his profile stays hidden."""
    reply = api("POST", "cards", {"code": api_room["codes"]["alan"], "nonce": nonce()})
    assert reply.status_code == 201
    card = reply.get_json()
    assert card["attendee"]["name"] == "Alan Turing"
    assert "residence_hall" not in card["attendee"]
    assert card["shared"] == []  # his profile is private, so no "you both lived in..."


def test_my_list_has_only_my_cards_and_who_waits_for_me(client, app, api, api_room, sign_in_guest):
    """GET /cards lists my cards; someone who recorded me shows under connect_back."""
    other = app.test_client()
    token = sign_in_guest(other, api_room["grace"])
    other.post(
        f"/api/v1/events/{api_room['slug']}/cards",
        json={"code": api_room["codes"]["ada"], "nonce": nonce(), "note": "Grace's secret"},
        headers={"X-CSRFToken": token},
    )
    listing = api("GET", "cards")
    assert listing.status_code == 200
    assert listing.get_json()["cards"] == []
    assert [p["name"] for p in listing.get_json()["connect_back"]] == ["Grace Hopper"]
    assert "Grace's secret" not in listing.get_data(as_text=True)
    api("POST", "cards", {"attendee_id": api_room["grace"], "nonce": nonce(), "via": "back"})
    listing = api("GET", "cards").get_json()
    assert [c["attendee"]["name"] for c in listing["cards"]] == ["Grace Hopper"]
    assert listing["cards"][0]["mutual"] is True and listing["connect_back"] == []


def test_read_edit_and_delete_my_card(app, api, api_room):
    """GET, PATCH and DELETE work on my own card."""
    card = api("POST", "cards", {"attendee_id": api_room["grace"], "nonce": nonce()}).get_json()
    assert api("GET", f"cards/{card['id']}").get_json() == card
    edited = api("PATCH", f"cards/{card['id']}", {"note": "Ask about COBOL", "starred": True})
    assert edited.status_code == 200
    assert edited.get_json()["note"] == "Ask about COBOL" and edited.get_json()["starred"]
    assert api("DELETE", f"cards/{card['id']}").status_code == 204
    assert api("GET", f"cards/{card['id']}").status_code == 404
    assert count_cards(app) == 0


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_someone_elses_card_is_not_found(app, api, api_room, sign_in_guest, method):
    """Grace's card id in Ada's hands answers 404 and stays as it was."""
    other = app.test_client()
    token = sign_in_guest(other, api_room["grace"])
    theirs = other.post(
        f"/api/v1/events/{api_room['slug']}/cards",
        json={"code": api_room["codes"]["ada"], "nonce": nonce(), "note": "Grace's secret"},
        headers={"X-CSRFToken": token},
    ).get_json()
    reply = api(method, f"cards/{theirs['id']}", {"note": "overwritten"})
    assert reply.status_code == 404
    assert "Grace's secret" not in reply.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Card, theirs["id"]).note == "Grace's secret"


@pytest.mark.parametrize("card_id", [0, 2**31, 10**20])
def test_card_ids_out_of_range_are_not_found(api, card_id):
    """Ids no row could have answer 404, not a database error."""
    assert api("GET", f"cards/{card_id}").status_code == 404


@pytest.mark.parametrize(
    "share, mutual, sees_contact",
    [((True, True), True, True), ((True, False), True, False), ((True, True), False, False)],
)
def test_contact_flows_only_when_mutual_and_both_agreed(
    app, api, api_room, sign_in_guest, set_guest, share, mutual, sees_contact
):
    """Email and LinkedIn show only for a mutual connection where both chose to share."""
    set_guest(api_room["ada"], consent_share_contact=share[0])
    set_guest(api_room["grace"], consent_share_contact=share[1], networking_email="g@navy.mil")
    if mutual:
        other = app.test_client()
        other.post(
            f"/api/v1/events/{api_room['slug']}/cards",
            json={"code": api_room["codes"]["ada"], "nonce": nonce()},
            headers={"X-CSRFToken": sign_in_guest(other, api_room["grace"])},
        )
    card = api("POST", "cards", {"attendee_id": api_room["grace"], "nonce": nonce()}).get_json()
    assert card["mutual"] is mutual
    assert (card["contact"] is not None) is sees_contact
    assert ("g@navy.mil" in json.dumps(card)) is sees_contact


DROP = object()  # a field left out of the body
MARKUP = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<div hx-get="/api/v1/events/x/cards" hx-trigger="load" hx-swap="outerHTML">x</div>',
    "{{ 7*7 }} ${7*7} '; DROP TABLE cards; --",
]


@pytest.mark.parametrize("note", MARKUP)
def test_markup_in_notes_comes_back_as_plain_json_text(api, api_room, note):
    """Markup, script and htmx attributes are stored and answered as the text they are."""
    reply = api("POST", "cards", {"attendee_id": api_room["grace"], "nonce": nonce(), "note": note})
    assert reply.status_code == 201
    assert reply.mimetype == "application/json"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.get_json()["note"] == note
    assert api("GET", "cards").get_json()["cards"][0]["note"] == note


@pytest.mark.parametrize(
    "body, message",
    [
        ({"note": "x" * 4001}, "under 4,000 characters"),
        ({"note": 42}, "note must be text"),
        ({"tags": ["coffee", "blackmail"]}, "Unknown tag 'blackmail'"),
        ({"tags": "coffee"}, "list of quick tags"),
        ({"tags": [1]}, "list of quick tags"),
        ({"starred": "yes"}, "'starred' must be true or false"),
        ({"nonce": DROP}, "'nonce' must be"),
        ({"nonce": None}, "'nonce' must be"),
        ({"nonce": "short"}, "'nonce' must be"),
        ({"nonce": "x" * 65}, "'nonce' must be"),
        ({"via": "telepathy"}, "'via' must be one of"),
        ({"attendee_id": "2"}, "'attendee_id' must be a whole number"),
        ({"attendee_id": True}, "'attendee_id' must be a whole number"),
        ({"code": 12345}, "'code' must be the scanned text"),
        ({"code": "A" * 5000}, "'code' must be the scanned text"),
        ({"code": "x", "attendee_id": 1}, "either 'code'"),
        ({"admin": True}, "Unknown field 'admin'"),
    ],
)
def test_bad_bodies_are_refused_with_a_clear_422(app, api, api_room, body, message):
    """Each malformed body answers 422 with a message that says what is wrong."""
    base = {"attendee_id": api_room["grace"], "nonce": nonce()}
    if "code" in body:
        del base["attendee_id"]
    sent = {name: value for name, value in {**base, **body}.items() if value is not DROP}
    reply = api("POST", "cards", sent)
    assert reply.status_code == 422, reply.get_json()
    assert message.casefold() in reply.get_json()["error"].casefold()
    assert count_cards(app) == 0


@pytest.mark.parametrize("data", ["not json", "[1, 2]", "null", ""])
def test_bodies_that_are_not_a_json_object_are_refused(client, api, api_room, data):
    """A body that is not a JSON object answers 422."""
    reply = client.post(
        f"/api/v1/events/{api_room['slug']}/cards",
        data=data,
        content_type="application/json",
        headers={"X-CSRFToken": api.token},
    )
    assert reply.status_code == 422
    assert "JSON object" in reply.get_json()["error"]


def test_patch_refuses_bad_changes(api, api_room):
    """PATCH validates like POST and refuses fields it cannot change."""
    card = api("POST", "cards", {"attendee_id": api_room["grace"], "nonce": nonce()}).get_json()
    for body in ({"note": "x" * 5000}, {"tags": ["nope"]}, {"subject_id": 1}, {"starred": 1}):
        reply = api("PATCH", f"cards/{card['id']}", body)
        assert reply.status_code == 422, body
    assert api("GET", f"cards/{card['id']}").get_json() == card


@pytest.mark.parametrize(
    "method, suffix", [("POST", "cards"), ("PATCH", "cards/1"), ("DELETE", "cards/1")]
)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_changes_without_the_csrf_header_are_refused_in_json(
    app, api, api_room, method, suffix, token
):
    """No (or a wrong) X-CSRFToken: 400 with a JSON message, and nothing changes."""
    made = api("POST", "cards", {"attendee_id": api_room["grace"], "nonce": nonce()}).get_json()
    suffix = suffix.replace("1", str(made["id"]))
    headers = {} if token is None else {"X-CSRFToken": token}
    reply = api(
        method, suffix, {"attendee_id": api_room["grace"], "nonce": nonce()}, headers=headers
    )
    assert reply.status_code == 400
    assert reply.mimetype == "application/json"
    assert "CSRF" in reply.get_json()["error"]
    assert api("GET", f"cards/{made['id']}").get_json() == made


def test_signed_out_callers_get_401(client, api_room):
    """Without a guest session every cards call answers 401 in JSON."""
    for path in ("cards", "cards/1", "suggestions"):
        reply = client.get(f"/api/v1/events/{api_room['slug']}/{path}")
        assert reply.status_code == 401
        assert "personal link" in reply.get_json()["error"]


@pytest.mark.parametrize("method, suffix", [("POST", "cards"), ("DELETE", "cards/1")])
def test_signed_out_changes_get_401_before_any_token_check(client, api_room, method, suffix):
    """A phone whose session ended (its CSRF token now stale) hears 401 in JSON, not a redirect."""
    reply = client.open(
        f"/api/v1/events/{api_room['slug']}/{suffix}",
        method=method,
        json={"attendee_id": api_room["grace"], "nonce": nonce()},
        headers={"X-CSRFToken": "a-token-of-an-ended-session"},
    )
    assert reply.status_code == 401
    assert reply.mimetype == "application/json"
    assert "personal link" in reply.get_json()["error"]


def test_another_events_slug_is_not_found(api, api_room):
    """Signed in for one event, another event's cards API answers 404."""
    assert api("GET", "cards", slug=api_room["other_slug"]).status_code == 404
    assert api("GET", "suggestions", slug=api_room["other_slug"]).status_code == 404
    reply = api(
        "POST",
        "cards",
        {"code": api_room["stranger_code"], "nonce": nonce()},
        slug=api_room["other_slug"],
    )
    assert reply.status_code == 404


def test_suggestions_name_people_with_reasons(api, api_room):
    """Grace shares Ada's hall: she is suggested, with the hall among the reasons."""
    reply = api("GET", "suggestions")
    assert reply.status_code == 200
    found = reply.get_json()["suggestions"]
    assert [s["name"] for s in found] == ["Grace Hopper"]
    assert any("Watson Hall" in reason for reason in found[0]["reasons"])


def test_the_api_document_describes_the_cards_api(client):
    """openapi.json lists the cards paths and the cookie + CSRF header scheme."""
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/events/{slug}/cards", "/events/{slug}/cards/{card_id}"} <= set(spec["paths"])
    assert "/events/{slug}/suggestions" in spec["paths"]
    schemes = spec["components"]["securitySchemes"]
    assert schemes["csrfToken"] == {**schemes["csrfToken"], "in": "header", "name": "X-CSRFToken"}
    assert spec["paths"]["/events/{slug}/cards"]["post"]["security"] == [
        {"guestSession": [], "csrfToken": []}
    ]


# Racing phones against a real threaded server (the `server` fixture, from conftest.py)


def race(server, client, token, path, bodies) -> list[tuple[int, dict]]:
    """Post each body on its own connection and thread, all released at once (with the
    Referer the page's fetch sends, which Flask-WTF wants over https)."""
    cookie = f"session={client.get_cookie('session').value}"
    headers = {"Content-Type": "application/json", "X-CSRFToken": token, "Cookie": cookie}
    headers["Referer"] = f"{server.origin}/"
    barrier = threading.Barrier(len(bodies))

    def post(body):
        connection = server.connect(timeout=20)
        barrier.wait()
        connection.request("POST", path, json.dumps(body), headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


@pytest.mark.parametrize("same_nonce", [True, False])
def test_concurrent_submissions_record_one_card(app, client, api, api_room, server, same_nonce):
    """Twelve submissions of one card at the same moment: one 201, the rest 200, one card."""
    shared_nonce = nonce()
    bodies = [
        {"code": api_room["codes"]["grace"], "nonce": shared_nonce if same_nonce else nonce()}
        for _ in range(12)
    ]
    replies = race(server, client, api.token, f"/api/v1/events/{api_room['slug']}/cards", bodies)
    statuses = sorted(status for status, _ in replies)
    assert statuses == [200] * 11 + [201], replies
    assert len({reply["id"] for _, reply in replies}) == 1
    assert count_cards(app) == 1
