"""Calling the check-in domain (door.check_in) directly: decisions, undo, walk-ins, search."""

import hashlib
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from checkin.door import api_passes, check_in, passes
from checkin.events import tickets
from checkin.extensions import db
from checkin.models import CheckInAttempt, DoorPass, Guest, utcnow


def nonce() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def ada_and_chloe(make_event, make_guest, make_pass):
    """An event with two guests and two door passes; the test runs inside the app context."""
    slug = make_event()
    ada_id, ada_code = make_guest(slug, "Ada Lovelace", 2009, email="ada@example.org")
    chloe_id, chloe_code = make_guest(slug, "Chloé Ñúñez-O'Brien", 1998)
    tokens = [make_pass(slug, "Door 1"), make_pass(slug, "Door 2")]
    return {
        "slug": slug,
        "ada": (ada_id, ada_code),
        "chloe": (chloe_id, chloe_code),
        "tokens": tokens,
    }


@pytest.fixture
def doors(ctx, ada_and_chloe):
    """The event's two passes, as the domain sees them."""
    return [check_in.active_pass(token) for token in ada_and_chloe["tokens"]]


def attempts() -> list[CheckInAttempt]:
    return list(db.session.scalars(select(CheckInAttempt).order_by(CheckInAttempt.id)))


def test_first_scan_admits_and_says_who(ada_and_chloe, doors):
    """A live code admits its guest, naming the door and the time."""
    reply = check_in.check_in_scan(doors[0], ada_and_chloe["ada"][1], nonce())
    assert reply["result"] == "admitted"
    assert reply["attendee"] == {
        "id": ada_and_chloe["ada"][0],
        "name": "Ada Lovelace",
        "class_year": 2009,
    }
    assert reply["admitted_by"] == "Door 1"
    person = db.session.get(Guest, ada_and_chloe["ada"][0])
    assert person.checked_in_at is not None
    assert person.checked_in_by_id == doors[0].id


@pytest.mark.parametrize("scanned", ["url", "bare", "lowercase", "padded"])
def test_a_code_scans_in_every_shape_a_reader_sends(ada_and_chloe, doors, scanned):
    """The QR's URL, the bare code, lower case or with spaces around all admit."""
    url = ada_and_chloe["ada"][1]
    code = url.rsplit("/", 1)[-1]
    text = {"url": url, "bare": code, "lowercase": code.lower(), "padded": f"  {code}\n"}[scanned]
    assert check_in.check_in_scan(doors[0], text, nonce())["result"] == "admitted"


def test_second_scan_at_another_door_is_already_admitted(ada_and_chloe, doors):
    """The second scan says when and by which door the guest came in."""
    first = check_in.check_in_scan(doors[0], ada_and_chloe["ada"][1], nonce())
    second = check_in.check_in_scan(doors[1], ada_and_chloe["ada"][1], nonce())
    assert second["result"] == "already_admitted"
    assert second["admitted_at"] == first["admitted_at"]
    assert second["admitted_by"] == "Door 1"
    assert second["attendee"]["name"] == "Ada Lovelace"


@pytest.mark.parametrize(
    "text", ["", "nonsense", "A" * 32, "https://x.example/t/" + "B" * 32, "A" * 5000, "\x00" * 40]
)
def test_anything_but_a_live_code_is_unknown(ada_and_chloe, doors, text):
    """Forged, random and garbled text answers unknown, and the attempt is still kept."""
    reply = check_in.check_in_scan(doors[0], text, nonce())
    assert reply == {
        "result": "unknown",
        "attendee": None,
        "admitted_at": None,
        "admitted_by": None,
    }
    assert [a.result for a in attempts()] == ["unknown"]


def test_another_events_code_is_unknown(ada_and_chloe, doors, make_event, make_guest):
    """A ticket for a different event does not open this door, and admits no one."""
    other = make_event("Spring Gala", email="other@example.org")
    other_id, other_code = make_guest(other, "Grace Hopper")
    assert check_in.check_in_scan(doors[0], other_code, nonce())["result"] == "unknown"
    assert db.session.get(Guest, other_id).checked_in_at is None


def test_a_replaced_ticket_is_revoked_and_the_new_one_admits(ada_and_chloe, doors):
    """After a reissue the old code answers revoked (naming the guest); the new one admits."""
    person = db.session.get(Guest, ada_and_chloe["ada"][0])
    new_code = tickets.code_of(tickets.issue(person))
    db.session.commit()
    old = check_in.check_in_scan(doors[0], ada_and_chloe["ada"][1], nonce())
    assert old["result"] == "revoked"
    assert old["attendee"]["name"] == "Ada Lovelace"
    assert db.session.get(Guest, ada_and_chloe["ada"][0]).checked_in_at is None
    assert check_in.check_in_scan(doors[0], new_code, nonce())["result"] == "admitted"


def test_same_nonce_replays_the_first_answer_and_records_once(ada_and_chloe, doors):
    """A retried request gets the first answer back, even after the guest was admitted."""
    again = nonce()
    first = check_in.check_in_scan(doors[0], ada_and_chloe["ada"][1], again)
    replay = check_in.check_in_scan(doors[0], ada_and_chloe["ada"][1], again)
    assert replay == first
    assert replay["result"] == "admitted"
    assert len(attempts()) == 1


def test_every_attempt_is_kept_with_who_where_and_when(ada_and_chloe, doors):
    """Each attempt keeps the pass, the guest, the phone's time, the server's time, the result."""
    scanned_at = utcnow() - timedelta(minutes=3)
    check_in.check_in_scan(doors[0], ada_and_chloe["ada"][1], nonce(), scanned_at, "Pixel 7")
    check_in.check_in_scan(doors[1], ada_and_chloe["ada"][1], nonce())
    first, second = attempts()
    assert (first.result, first.door_pass_id, first.attendee_id) == (
        "admitted",
        doors[0].id,
        ada_and_chloe["ada"][0],
    )
    assert first.device == "Pixel 7"
    assert abs((first.scanned_at - scanned_at).total_seconds()) < 0.001
    assert first.received_at > first.scanned_at
    assert (second.result, second.door_pass_id) == ("already_admitted", doors[1].id)
    assert second.answer["admitted_by"] == "Door 1"


def test_undo_takes_a_check_in_back_and_the_log_keeps_both(ada_and_chloe, doors):
    """Undo clears the check-in; the next scan admits again; all three attempts remain."""
    check_in.check_in_scan(doors[0], ada_and_chloe["ada"][1], nonce())
    undone = check_in.undo(doors[0], ada_and_chloe["ada"][0], nonce())
    assert undone["result"] == "undone"
    assert db.session.get(Guest, ada_and_chloe["ada"][0]).checked_in_at is None
    assert (
        check_in.check_in_scan(doors[1], ada_and_chloe["ada"][1], nonce())["admitted_by"]
        == "Door 2"
    )
    assert [a.action for a in attempts()] == ["scan", "undo", "scan"]


def test_undo_of_someone_at_another_event_is_unknown(ada_and_chloe, doors, make_event, make_guest):
    """A door cannot undo another event's check-ins."""
    other = make_event("Spring Gala", email="other@example.org")
    other_id, _ = make_guest(other, "Grace Hopper")
    assert check_in.undo(doors[0], other_id, nonce())["result"] == "unknown"


def test_picking_a_guest_from_the_list_admits_once(ada_and_chloe, doors):
    """Check-in by search admits, a second pick says already admitted."""
    chloe = ada_and_chloe["chloe"][0]
    assert check_in.check_in_guest(doors[0], chloe, nonce())["result"] == "admitted"
    assert check_in.check_in_guest(doors[1], chloe, nonce())["result"] == "already_admitted"


def test_picking_another_events_guest_is_unknown(ada_and_chloe, doors, make_event, make_guest):
    """A guest id from another event is not on this door's list."""
    other = make_event("Spring Gala", email="other@example.org")
    other_id, _ = make_guest(other, "Grace Hopper")
    assert check_in.check_in_guest(doors[0], other_id, nonce())["result"] == "unknown"
    assert db.session.get(Guest, other_id).checked_in_at is None


def test_walk_in_registers_and_admits(ada_and_chloe, doors):
    """A walk-in becomes a guest with a ticket and is admitted at once."""
    reply = check_in.walk_in(doors[0], "Grace Hopper", "grace@example.org", 1934, nonce())
    assert reply["result"] == "admitted"
    person = db.session.get(Guest, reply["attendee"]["id"])
    assert (person.name, person.source, person.class_year) == ("Grace Hopper", "walk_in", 1934)
    assert tickets.current_ticket(person.id) is not None


def test_walk_in_sent_twice_with_one_nonce_makes_one_guest(ada_and_chloe, doors):
    """A retried walk-in form replays its answer and creates nobody new."""
    again = nonce()
    first = check_in.walk_in(doors[0], "Grace Hopper", "grace@example.org", 1934, again)
    second = check_in.walk_in(doors[0], "Grace Hopper", "grace@example.org", 1934, again)
    assert second == first
    count = db.session.scalar(select(func.count()).where(Guest.name == "Grace Hopper"))
    assert count == 1


@pytest.mark.parametrize(
    "typed,found",
    [
        ("chloe", True),
        ("CHLOÉ", True),
        ("nunez", True),
        ("Ñúñez", True),
        ("o'brien", True),
        ("ada@example", True),
        ("  ada   lovelace ", True),
        ("%", False),
        ("_", False),
        ("", False),
    ],
)
def test_search_ignores_accents_case_and_wildcards(ada_and_chloe, ctx, typed, found):
    """Search by name or email as typed; % and _ are plain characters."""
    results = check_in.search(check_in.active_pass(ada_and_chloe["tokens"][0]).event_id, typed)
    assert bool(results) is found


def test_search_finds_only_this_events_guests(ada_and_chloe, ctx, make_event, make_guest):
    """Another event's Ada is not offered at this door."""
    other = make_event("Spring Gala", email="other@example.org")
    make_guest(other, "Ada Byron")
    event_id = check_in.active_pass(ada_and_chloe["tokens"][0]).event_id
    assert [p.name for p in check_in.search(event_id, "ada")] == ["Ada Lovelace"]


def test_roster_carries_hashes_of_live_codes_and_who_is_in(ada_and_chloe, doors):
    """The offline roster: name, year, hash of the current code, checked-in state, no codes."""
    check_in.check_in_scan(doors[0], ada_and_chloe["ada"][1], nonce())
    roster = {row["name"]: row for row in check_in.roster(doors[0].event_id)}
    ada = roster["Ada Lovelace"]
    code = ada_and_chloe["ada"][1].rsplit("/", 1)[-1]
    assert ada["code_hash"] == hashlib.sha256(code.encode()).hexdigest()
    assert ada["checked_in"] is True and ada["checked_in_at"].endswith("Z")
    assert roster["Chloé Ñúñez-O'Brien"]["checked_in"] is False
    assert code not in str(roster)


def test_roster_after_a_reissue_has_only_the_new_hash(ada_and_chloe, doors):
    """A replaced ticket's hash leaves the roster, so offline phones stop accepting it."""
    new_code = tickets.code_of(tickets.issue(db.session.get(Guest, ada_and_chloe["ada"][0])))
    db.session.commit()
    hashes = {row["code_hash"] for row in check_in.roster(doors[0].event_id)}
    assert tickets.digest(new_code) in hashes
    assert tickets.digest(ada_and_chloe["ada"][1].rsplit("/", 1)[-1]) not in hashes


def test_stats_count_expected_and_admitted(ada_and_chloe, doors):
    """N of M: one of two guests in."""
    check_in.check_in_scan(doors[0], ada_and_chloe["ada"][1], nonce())
    assert check_in.stats(doors[0].event_id) == {"expected": 2, "admitted": 1}


def test_cached_pass_names_its_event(ada_and_chloe, ctx):
    """The API's pass snapshot carries its id, event, name and slug."""
    found = api_passes.open_pass(ada_and_chloe["tokens"][1])
    assert (found.name, found.event_slug) == ("Door 2", ada_and_chloe["slug"])


@pytest.mark.parametrize("token", [None, "", "nonsense", "x" * 500])
def test_cached_pass_refuses_unknown_tokens(ada_and_chloe, ctx, token):
    """No pass, no door."""
    assert api_passes.open_pass(token) is None


def test_expired_pass_stops_at_once_even_when_cached(ada_and_chloe, ctx):
    """Expiry is checked on every call, not only when the cache refreshes."""
    token = ada_and_chloe["tokens"][0]
    found = check_in.active_pass(token)
    found.expires_at = utcnow() + timedelta(seconds=0.3)
    db.session.commit()
    assert api_passes.open_pass(token) is not None  # cached now, with its expiry
    time.sleep(0.4)
    assert api_passes.open_pass(token) is None  # well inside the cache window


def test_revoked_pass_stops_within_the_cache_window(ada_and_chloe, ctx):
    """A revocation reaches the API within PASS_CACHE_SECONDS (and at once on a cold cache)."""
    token = ada_and_chloe["tokens"][0]
    assert api_passes.open_pass(token) is not None
    passes.revoke(
        db.session.scalar(select(DoorPass).where(DoorPass.token_hash == tickets.digest(token)))
    )
    revoked_at = time.monotonic()
    while api_passes.open_pass(token) is not None:
        assert time.monotonic() - revoked_at < api_passes.PASS_CACHE_SECONDS + 0.5
        time.sleep(0.05)
    assert api_passes.PASS_CACHE_SECONDS <= 2
