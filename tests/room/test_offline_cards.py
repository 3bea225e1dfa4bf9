"""Cards recorded offline: a queued card replayed lands once; the room list a phone keeps shows
only what its guest may see; the pages kept for offline use say so."""

import hashlib
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from checkin.accounts import personal_links
from checkin.events.tickets import parse_scan
from checkin.extensions import db
from checkin.models import Card, Guest


def nonce() -> str:
    return str(uuid.uuid4())


def cards_of(app, author_id: int) -> list[tuple[int, str, str]]:
    """(subject, note, nonce) of each card the author holds."""
    with app.app_context():
        rows = db.session.scalars(select(Card).where(Card.author_id == author_id))
        return [(card.subject_id, card.note, card.nonce) for card in rows]


@pytest.fixture
def offline_room(app, make_event, make_guest, set_guest):
    """Ada and Grace findable and in; Alan in but not findable; Hedy findable, not yet in;
    Edsger findable and in at another event."""
    slug = make_event("Fall Reunion")
    people, codes = {}, {}
    for key, name in [
        ("ada", "Ada Lovelace"),
        ("grace", "Grace Hopper"),
        ("alan", "Alan Turing"),
        ("hedy", "Hedy Lamarr"),
    ]:
        people[key], codes[key] = make_guest(slug, name, 2009)
    set_guest(people["ada"], consent_findable=True, checked_in=True)
    set_guest(people["grace"], consent_findable=True, checked_in=True)
    set_guest(people["alan"], consent_findable=False, checked_in=True)
    set_guest(people["hedy"], consent_findable=True, checked_in=False)
    other = make_event("Spring Gala", email="other@example.org")
    people["edsger"], codes["edsger"] = make_guest(other, "Edsger Dijkstra", 1956)
    set_guest(people["edsger"], consent_findable=True, checked_in=True)
    return {"slug": slug, "other_slug": other, "ids": people, "codes": codes}


@pytest.fixture
def ada_phone(client, offline_room, sign_in_guest):
    """Ada's phone: call(method, suffix, body) on her cards API with her session and token."""
    token = sign_in_guest(client, offline_room["ids"]["ada"])

    def call(method, suffix, body=None, slug=None, token_=None):
        path = f"/api/v1/events/{slug or offline_room['slug']}/{suffix}"
        return client.open(path, method=method, json=body, headers={"X-CSRFToken": token_ or token})

    return call


def queued(room, note="Met at the bar; wants an intro to the dean", **extra) -> dict:
    """A card as the phone queues it offline: by id, via scan, naming its author."""
    return {
        "attendee_id": room["ids"]["grace"],
        "note": note,
        "tags": ["intro"],
        "starred": True,
        "nonce": nonce(),
        "via": "scan",
        "author_id": room["ids"]["ada"],
        **extra,
    }


def test_a_queued_card_replayed_is_recorded_once_with_its_note(app, ada_phone, offline_room):
    """The outbox sends the same card again (a reload, a retry): one card, the first note."""
    body = queued(offline_room)
    first = ada_phone("POST", "cards", body)
    again = ada_phone("POST", "cards", body)
    later = ada_phone("POST", "cards", {**body, "note": "a changed copy must not overwrite"})
    assert (first.status_code, again.status_code, later.status_code) == (201, 200, 200)
    assert again.get_json()["id"] == first.get_json()["id"] == later.get_json()["id"]
    assert first.get_json()["via"] == "scan" and first.get_json()["starred"] is True
    assert cards_of(app, offline_room["ids"]["ada"]) == [
        (offline_room["ids"]["grace"], body["note"], body["nonce"])
    ]


def test_the_queued_copy_of_a_save_that_did_reach_the_server_records_nothing(
    app, ada_phone, offline_room
):
    """Save by code timed out on the phone but arrived; the queued copy (same nonce) replays it."""
    body = queued(offline_room)
    online = {k: body[k] for k in ("note", "tags", "starred", "nonce", "via")}
    first = ada_phone("POST", "cards", {**online, "code": offline_room["codes"]["grace"]})
    replay = ada_phone("POST", "cards", body)
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.get_json()["id"] == first.get_json()["id"]
    assert len(cards_of(app, offline_room["ids"]["ada"])) == 1


def race(server, client, token, path, body, senders=8) -> list[int]:
    """The same queued card posted by several tabs at the same moment; their statuses."""
    cookie = f"session={client.get_cookie('session').value}"
    headers = {"Content-Type": "application/json", "X-CSRFToken": token, "Cookie": cookie}
    headers["Referer"] = f"{server.origin}/"  # what the page's fetch sends; https wants it
    barrier = threading.Barrier(senders)

    def post(_):
        connection = server.connect(timeout=20)
        barrier.wait()
        connection.request("POST", path, json.dumps(body), headers)
        return connection.getresponse().status

    with ThreadPoolExecutor(senders) as pool:
        return list(pool.map(post, range(senders)))


def test_two_tabs_flushing_the_same_card_at_once_record_it_once(
    app, client, offline_room, server, sign_in_guest
):
    """Eight tabs replay one queued card at the same moment: one 201, the rest 200, one card."""
    token = sign_in_guest(client, offline_room["ids"]["ada"])
    body = queued(offline_room)
    statuses = race(server, client, token, f"/api/v1/events/{offline_room['slug']}/cards", body)
    assert sorted(statuses) == [200] * 7 + [201]
    assert cards_of(app, offline_room["ids"]["ada"]) == [
        (offline_room["ids"]["grace"], body["note"], body["nonce"])
    ]


def test_a_card_queued_by_someone_else_on_this_phone_is_refused(
    app, client, offline_room, sign_in_guest
):
    """Grace signed in on Ada's phone cannot send Ada's queued card: 409, nothing recorded."""
    token = sign_in_guest(client, offline_room["ids"]["grace"])
    body = queued(offline_room, attendee_id=offline_room["ids"]["ada"])
    reply = client.post(
        f"/api/v1/events/{offline_room['slug']}/cards", json=body, headers={"X-CSRFToken": token}
    )
    assert reply.status_code == 409
    assert "someone else" in reply.get_json()["error"]
    assert cards_of(app, offline_room["ids"]["grace"]) == []
    assert cards_of(app, offline_room["ids"]["ada"]) == []


@pytest.mark.parametrize("author", ["abc", True, -1, 2**40])
def test_an_author_that_is_not_an_id_is_refused(app, ada_phone, offline_room, author):
    """author_id must be a whole number that could be someone."""
    reply = ada_phone("POST", "cards", queued(offline_room, author_id=author))
    assert reply.status_code == 422
    assert cards_of(app, offline_room["ids"]["ada"]) == []


def test_the_room_list_has_findable_checked_in_people_with_code_hashes_only(
    ada_phone, offline_room
):
    """Only Grace: not Ada herself, not Alan (not findable), not Hedy (not in), not Edsger
    (another event); her code appears only as its SHA-256, no one's code in plain text."""
    reply = ada_phone("GET", "people")
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    people = reply.get_json()["people"]
    grace_code = parse_scan(offline_room["codes"]["grace"])
    assert people == [
        {
            "id": offline_room["ids"]["grace"],
            "name": "Grace Hopper",
            "class_year": 2009,
            "code_hash": hashlib.sha256(grace_code.encode()).hexdigest(),
            "met": False,
        }
    ]
    text = reply.get_data(as_text=True)
    for key, scanned in offline_room["codes"].items():
        assert parse_scan(scanned) not in text, key
    for name in ("Alan", "Hedy", "Edsger", "Ada"):
        assert name not in text


def test_the_room_list_marks_people_already_met(ada_phone, offline_room):
    """After Ada records Grace, the list says so: offline, a second scan opens no second card."""
    ada_phone("POST", "cards", queued(offline_room))
    [grace] = ada_phone("GET", "people").get_json()["people"]
    assert grace["met"] is True


def test_the_room_list_of_another_event_is_not_found(ada_phone, offline_room):
    """Ada asking for the other event's room list gets 404 and no one from it."""
    reply = ada_phone("GET", "people", slug=offline_room["other_slug"])
    assert reply.status_code == 404
    assert "Edsger" not in reply.get_data(as_text=True)


def test_the_room_list_needs_a_session(client, offline_room):
    """Signed out: 401 in JSON, no names."""
    reply = client.get(f"/api/v1/events/{offline_room['slug']}/people")
    assert reply.status_code == 401
    assert reply.get_json()["error"] and "Grace" not in reply.get_data(as_text=True)


def test_a_stale_token_is_refused_and_me_gives_the_sessions_token(app, ada_phone, offline_room):
    """A page kept offline may hold an old token: 400 in JSON; /me gives one that then works."""
    refused = ada_phone(
        "POST", "cards", queued(offline_room), token_="a-token-from-an-older-session"
    )
    assert refused.status_code == 400
    assert refused.mimetype == "application/json" and "CSRF" in refused.get_json()["error"]
    assert cards_of(app, offline_room["ids"]["ada"]) == []
    me = ada_phone("GET", "me").get_json()
    assert me["id"] == offline_room["ids"]["ada"] and me["first_name"] == "Ada"
    assert (
        ada_phone("POST", "cards", queued(offline_room), token_=me["csrf_token"]).status_code == 201
    )


def test_a_session_ended_by_a_new_link_hears_401_and_records_nothing(app, ada_phone, offline_room):
    """The organizer re-sends Ada's link (the old one and its sessions end): her phone's next
    send is a 401 in JSON, so it keeps the card and asks her to sign in again."""
    with app.app_context():
        personal_links.issue(db.session.get(Guest, offline_room["ids"]["ada"]))
    reply = ada_phone("POST", "cards", queued(offline_room))
    assert reply.status_code == 401
    assert "personal link" in reply.get_json()["error"]
    assert ada_phone("GET", "me").status_code == 401
    assert cards_of(app, offline_room["ids"]["ada"]) == []


def test_me_without_a_session_is_401(client, offline_room):
    """No session: 401 and no token."""
    reply = client.get(f"/api/v1/events/{offline_room['slug']}/me")
    assert reply.status_code == 401
    assert "csrf_token" not in reply.get_json()


@pytest.mark.parametrize(
    "suffix, kept", [("", True), ("scan", True), ("cards", True), ("profile", False)]
)
def test_pages_needed_offline_say_so_to_the_service_worker(
    client, offline_room, sign_in_guest, suffix, kept
):
    """My code, scan and people I met carry X-Offline-Page: 1; other pages do not. All are
    no-store (personal data): the worker keeps its copy with the Cache API, which ignores that
    (tests/browser/test_cards_offline.py opens them offline)."""
    sign_in_guest(client, offline_room["ids"]["ada"])
    reply = client.get(f"/e/{offline_room['slug']}/{suffix}")
    assert reply.status_code == 200
    assert (reply.headers.get("X-Offline-Page") == "1") is kept
    assert reply.headers["Cache-Control"] == "no-store"


def test_a_signed_out_page_is_never_marked_for_keeping(client, offline_room):
    """Without a session the scan page is a 404 that the worker must not keep."""
    reply = client.get(f"/e/{offline_room['slug']}/scan")
    assert reply.status_code == 404
    assert "X-Offline-Page" not in reply.headers


def test_the_scan_page_holds_the_offline_card_form_and_the_outbox_bar(
    client, offline_room, sign_in_guest
):
    """The scan page carries the offline form (in a template) and the bar with Ada's scope."""
    sign_in_guest(client, offline_room["ids"]["ada"])
    html = client.get(f"/e/{offline_room['slug']}/scan").get_data(as_text=True)
    assert '<template id="offline-card">' in html and "data-offline" in html
    assert f'data-guest="{offline_room["ids"]["ada"]}"' in html
    assert f"/api/v1/events/{offline_room['slug']}/people" in html
    assert "js/outbox.js" in html and "js/cards-offline.js" in html
