"""Scans door phones decided offline, sent later: recorded as facts, earliest scan wins."""

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from checkin.extensions import db
from checkin.models import CheckInAttempt, DoorPass, Guest, utcnow


def iso(moment: datetime) -> str:
    """A moment as the API writes it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def ago(minutes: float) -> datetime:
    """A whole-millisecond moment this many minutes before now, as a phone would send it."""
    moment = utcnow() - timedelta(minutes=minutes)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def post(client, slug, token, body):
    return client.post(
        f"/api/v1/events/{slug}/checkins", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def scan(code, scanned_at=None, shown=None, device="Phone A", nonce=None) -> dict:
    """A check-in body: online without `shown`, decided offline with it."""
    body = {"code": code, "nonce": nonce or str(uuid.uuid4()), "device": device}
    if scanned_at is not None:
        body["scanned_at"] = iso(scanned_at) if isinstance(scanned_at, datetime) else scanned_at
    if shown is not None:
        body["shown"] = shown
    return body


def passes_made_before(app, hours: float) -> None:
    """Date every door pass back: volunteers get their links before the doors open."""
    with app.app_context():
        for found in db.session.scalars(select(DoorPass)):
            found.created_at = utcnow() - timedelta(hours=hours)
        db.session.commit()


@pytest.fixture
def two_doors(app, make_event, make_guest, make_pass):
    """An event with Ada and Grace and two door passes made three hours ago."""
    slug = make_event()
    ada_id, ada = make_guest(slug, "Ada Lovelace", 2009)
    grace_id, grace = make_guest(slug, "Grace Hopper", 1934)
    one, two = make_pass(slug, "Door 1"), make_pass(slug, "Door 2")
    passes_made_before(app, 3)
    return {
        "slug": slug,
        "ada": ada,
        "ada_id": ada_id,
        "grace": grace,
        "grace_id": grace_id,
        "one": one,
        "two": two,
    }


def admission(app, attendee_id) -> tuple:
    """(checked_in_at, name of the door pass) as the database holds them."""
    with app.app_context():
        person = db.session.get(Guest, attendee_id)
        return person.checked_in_at, person.checked_in_by.name if person.checked_in_by else None


def attempts(app, **where) -> list[CheckInAttempt]:
    with app.app_context():
        query = select(CheckInAttempt).filter_by(**where).order_by(CheckInAttempt.id)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def test_offline_scan_earlier_than_the_online_admission_moves_it(app, client, two_doors):
    """Door 2 admits Ada online; Door 1's offline scan from 10 minutes earlier takes it over."""
    online = post(client, two_doors["slug"], two_doors["two"], scan(two_doors["ada"])).get_json()
    assert online["result"] == "admitted" and online["admitted_by"] == "Door 2"
    earlier = ago(10)
    reply = post(
        client, two_doors["slug"], two_doors["one"], scan(two_doors["ada"], earlier, "admitted")
    )
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["result"] == "already_admitted"  # she was in when it arrived
    assert (body["admitted_at"], body["admitted_by"]) == (iso(earlier), "Door 1")
    assert admission(app, two_doors["ada_id"]) == (earlier, "Door 1")
    again = post(client, two_doors["slug"], two_doors["two"], scan(two_doors["ada"])).get_json()
    assert (again["admitted_at"], again["admitted_by"]) == (iso(earlier), "Door 1")
    first, offline, _ = attempts(app)
    assert first.answer == online and first.result == "admitted"  # the log is never rewritten
    assert (offline.offline, offline.shown, offline.scanned_at) == (True, "admitted", earlier)
    assert offline.received_at > earlier


def test_offline_scan_later_than_the_admission_does_not_move_it(app, client, two_doors):
    """An offline scan made after the recorded admission leaves it where it is."""
    first = ago(10)
    reply = post(
        client, two_doors["slug"], two_doors["one"], scan(two_doors["ada"], first, "admitted")
    )
    assert reply.get_json()["result"] == "admitted"
    assert reply.get_json()["admitted_at"] == iso(first)
    later = post(
        client, two_doors["slug"], two_doors["two"], scan(two_doors["ada"], ago(5), "admitted")
    )
    assert later.get_json()["result"] == "already_admitted"
    assert (later.get_json()["admitted_at"], later.get_json()["admitted_by"]) == (
        iso(first),
        "Door 1",
    )
    assert admission(app, two_doors["ada_id"]) == (first, "Door 1")


def test_an_online_scan_without_a_time_never_moves_an_admission(app, client, two_doors):
    """A scan that sends no scanned_at happened when it arrived: after any recorded admission."""
    post(client, two_doors["slug"], two_doors["one"], scan(two_doors["ada"], ago(3), "admitted"))
    before = admission(app, two_doors["ada_id"])
    reply = post(client, two_doors["slug"], two_doors["two"], scan(two_doors["ada"])).get_json()
    assert reply["result"] == "already_admitted" and reply["admitted_by"] == "Door 1"
    assert admission(app, two_doors["ada_id"]) == before


def test_offline_scan_is_decided_by_the_server_not_by_what_the_phone_showed(app, client, two_doors):
    """A live ticket scanned offline admits, even where a stale roster showed "unknown"."""
    when = ago(4)
    reply = post(
        client, two_doors["slug"], two_doors["one"], scan(two_doors["grace"], when, "unknown")
    )
    assert reply.get_json()["result"] == "admitted"
    assert admission(app, two_doors["grace_id"]) == (when, "Door 1")
    (kept,) = attempts(app)
    assert (kept.offline, kept.shown, kept.result) == (True, "unknown", "admitted")
    garbage = post(
        client, two_doors["slug"], two_doors["one"], scan("not a ticket", when, "admitted")
    )
    assert garbage.get_json()["result"] == "unknown"


def test_offline_scan_without_scanned_at_is_422(app, client, two_doors):
    """`shown` says the phone decided offline, so it must say when: 422, nothing recorded."""
    reply = post(
        client, two_doors["slug"], two_doors["one"], scan(two_doors["ada"], shown="admitted")
    )
    assert reply.status_code == 422
    assert "'scanned_at'" in reply.get_json()["error"]
    assert attempts(app) == []
    assert admission(app, two_doors["ada_id"]) == (None, None)


@pytest.mark.parametrize("shown", ["Admitted", "revoked", "undone", "", 1, True, ["admitted"]])
def test_unknown_shown_value_is_422(app, client, two_doors, shown):
    """Only admitted, already_admitted and unknown can have been shown."""
    reply = post(client, two_doors["slug"], two_doors["one"], scan(two_doors["ada"], ago(1), shown))
    assert reply.status_code == 422
    assert "'shown'" in reply.get_json()["error"]
    assert attempts(app) == []


def test_shown_null_is_an_online_scan(app, client, two_doors):
    """ "shown": null is the same as leaving it out."""
    body = {**scan(two_doors["ada"]), "shown": None}
    assert (
        post(client, two_doors["slug"], two_doors["one"], body).get_json()["result"] == "admitted"
    )
    assert attempts(app)[0].offline is False


@pytest.mark.parametrize("shown", [None, "admitted"])
def test_scanned_at_far_in_the_future_is_422(app, client, two_doors, shown):
    """A phone more than 5 minutes ahead of the server is told to check its clock."""
    future = utcnow() + timedelta(minutes=6)
    reply = post(client, two_doors["slug"], two_doors["one"], scan(two_doors["ada"], future, shown))
    assert reply.status_code == 422
    assert "ahead" in reply.get_json()["error"]
    assert attempts(app) == []


@pytest.mark.parametrize(
    "value",
    ["yesterday", 1764180000, "", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"],
)
def test_scanned_at_that_is_no_moment_is_422(app, client, two_doors, value):
    """Not a date, or a date that leaves the calendar in UTC: 422, never a 500."""
    reply = post(
        client, two_doors["slug"], two_doors["one"], scan(two_doors["ada"], value, "admitted")
    )
    assert reply.status_code == 422
    assert "'scanned_at'" in reply.get_json()["error"]
    assert attempts(app) == []


def test_scanned_at_a_little_ahead_counts_as_received(app, client, two_doors):
    """A few minutes of drift ahead: the scan counts as made when it arrived."""
    ahead = utcnow() + timedelta(minutes=4)
    reply = post(
        client, two_doors["slug"], two_doors["one"], scan(two_doors["ada"], ahead, "admitted")
    )
    assert reply.status_code == 200
    (kept,) = attempts(app)
    assert kept.scanned_at == kept.received_at < ahead
    assert admission(app, two_doors["ada_id"]) == (kept.received_at, "Door 1")


def test_scanned_at_before_the_door_pass_existed_counts_as_received(app, client, two_doors):
    """A phone clock that is far behind cannot move an admission; the scan is kept all the same."""
    online = post(client, two_doors["slug"], two_doors["two"], scan(two_doors["ada"])).get_json()
    stale = "2020-01-01T09:00:00Z"
    reply = post(
        client, two_doors["slug"], two_doors["one"], scan(two_doors["ada"], stale, "admitted")
    )
    assert reply.status_code == 200
    assert reply.get_json()["admitted_at"] == online["admitted_at"]
    assert admission(app, two_doors["ada_id"])[1] == "Door 2"
    year_one = scan(two_doors["grace"], "0001-01-01T00:00:00Z", "admitted")
    fresh = post(client, two_doors["slug"], two_doors["one"], year_one)
    assert fresh.get_json()["result"] == "admitted"
    kept = attempts(app, offline=True)
    assert len(kept) == 2
    assert all(a.scanned_at == a.received_at for a in kept)
    assert admission(app, two_doors["grace_id"])[0] == kept[1].received_at


def test_an_old_scan_made_while_the_pass_was_valid_is_taken_as_sent(app, client, two_doors):
    """Hours offline are fine: the phone's time counts, however long ago, after the pass began."""
    passes_made_before(app, 48)
    yesterday = ago(60 * 24)
    reply = post(
        client, two_doors["slug"], two_doors["one"], scan(two_doors["ada"], yesterday, "admitted")
    )
    assert reply.get_json()["admitted_at"] == iso(yesterday)
    assert admission(app, two_doors["ada_id"]) == (yesterday, "Door 1")


def test_scans_kept_under_an_expired_pass_keep_their_time_when_sent_with_a_new_one(
    app, client, two_doors, make_pass
):
    """The new pass postdates the scans it carries; the event's first pass bounds them instead."""
    new_pass = make_pass(two_doors["slug"], "Door 1 (new link)")
    an_hour_ago = ago(60)
    reply = post(
        client, two_doors["slug"], new_pass, scan(two_doors["ada"], an_hour_ago, "admitted")
    )
    assert reply.get_json()["admitted_at"] == iso(an_hour_ago)
    assert admission(app, two_doors["ada_id"]) == (an_hour_ago, "Door 1 (new link)")


def test_an_outbox_sent_twice_records_once_and_answers_the_same(app, client, two_doors):
    """A phone that resends its whole outbox (same nonces) changes nothing the second time."""
    outbox = [
        scan(two_doors["ada"], ago(9), "admitted"),
        scan(two_doors["grace"], ago(8), "admitted"),
        scan(two_doors["ada"], ago(7), "already_admitted"),
        scan("garbage", ago(6), "unknown"),
    ]
    first = [post(client, two_doors["slug"], two_doors["one"], body) for body in outbox]
    state = admission(app, two_doors["ada_id"]), admission(app, two_doors["grace_id"])
    second = [post(client, two_doors["slug"], two_doors["one"], body) for body in outbox]
    assert [r.status_code for r in first + second] == [200] * 8
    assert [r.get_json() for r in second] == [r.get_json() for r in first]
    assert [r.get_json()["result"] for r in first] == [
        "admitted",
        "admitted",
        "already_admitted",
        "unknown",
    ]
    assert len(attempts(app)) == 4
    assert (admission(app, two_doors["ada_id"]), admission(app, two_doors["grace_id"])) == state


def test_an_undo_stays_for_scans_it_had_already_seen(app, client, two_doors):
    """A resent offline scan that arrived before the undo does not check the guest in again."""
    offline = scan(two_doors["ada"], ago(10), "admitted")
    post(client, two_doors["slug"], two_doors["one"], offline)
    with app.app_context():
        from checkin.door import check_in as door_domain

        door_domain.undo(
            door_domain.active_pass(two_doors["two"]), two_doors["ada_id"], str(uuid.uuid4())
        )
    assert (
        post(client, two_doors["slug"], two_doors["one"], offline).get_json()["result"]
        == "admitted"
    )
    assert admission(app, two_doors["ada_id"]) == (None, None)  # the replay changed nothing
    assert len(attempts(app)) == 2


def test_a_scan_arriving_after_an_undo_admits_again_at_its_own_time(app, client, two_doors):
    """An undo applies to the admission as it stood; a later-arriving scan is new evidence."""
    post(client, two_doors["slug"], two_doors["one"], scan(two_doors["ada"]))
    with app.app_context():
        from checkin.door import check_in as door_domain

        door_domain.undo(
            door_domain.active_pass(two_doors["one"]), two_doors["ada_id"], str(uuid.uuid4())
        )
    made = ago(20)  # before the undo, received after it
    reply = post(
        client, two_doors["slug"], two_doors["two"], scan(two_doors["ada"], made, "admitted")
    )
    assert reply.get_json()["result"] == "admitted"
    assert admission(app, two_doors["ada_id"]) == (made, "Door 2")


def test_a_door_pass_cannot_post_offline_scans_to_another_event(
    app, client, two_doors, make_event, make_guest
):
    """Event A's pass gets 403 at event B, offline or not, and nothing is recorded."""
    other = make_event("Spring Gala", email="other@example.org")
    other_id, other_code = make_guest(other, "Alan Turing")
    reply = post(client, other, two_doors["one"], scan(other_code, ago(5), "admitted"))
    assert reply.status_code == 403
    assert attempts(app) == []
    assert admission(app, other_id) == (None, None)


def test_openapi_describes_shown(client):
    """The API description has `shown` and what it may be."""
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/events/{slug}/checkins"]["post"]["requestBody"]
    properties = body["content"]["application/json"]["schema"]["properties"]
    assert properties["shown"]["enum"] == ["admitted", "already_admitted", "unknown"]
    assert "scanned_at" in properties["shown"]["description"]
    assert "5 minutes" in properties["scanned_at"]["description"]


# Two phones that were offline send their outboxes at the same moment, while two phones that
# are online scan the same guests: against a real threaded server, on SQLite and PostgreSQL.

GUESTS = 60


@pytest.fixture
def crowd(app, make_crowd, make_pass):
    """An event with GUESTS guests and four door passes: (slug, [(id, code)], [tokens])."""
    slug, guests = make_crowd(GUESTS, "Guest {:02d}")
    tokens = [make_pass(slug, f"Door {n}") for n in (1, 2, 3, 4)]
    passes_made_before(app, 3)
    return slug, guests, tokens


class Phone:
    """A door phone on one keep-alive connection."""

    def __init__(self, server, slug: str, token: str):
        self.connection = server.connect(timeout=30)
        self.path = f"/api/v1/events/{slug}/checkins"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def send(self, body: dict) -> tuple[int, dict]:
        self.connection.request("POST", self.path, json.dumps(body), self.headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())


def test_two_outboxes_sent_at_once_leave_one_admission_at_the_earliest_scan(app, server, crowd):
    """Two offline phones' outboxes and two online phones race: one admission each, earliest."""
    slug, guests, tokens = crowd
    start = ago(30)
    # Phone A scanned guest i at start+i s, phone B at start+i s +/- 0.5 s (earlier for even i).
    times = {
        "A": [start + timedelta(seconds=i) for i in range(GUESTS)],
        "B": [start + timedelta(seconds=i + (-0.5 if i % 2 == 0 else 0.5)) for i in range(GUESTS)],
    }
    outboxes = {
        who: [
            scan(code, times[who][i], "admitted", device=f"Phone {who}")
            for i, (_, code) in enumerate(guests)
        ]
        for who in "AB"
    }
    online = [[scan(code, device=f"Phone {n}") for _, code in guests] for n in ("C", "D")]
    work = [
        (Phone(server, slug, tokens[0]), outboxes["A"]),
        (Phone(server, slug, tokens[1]), outboxes["B"]),
        (Phone(server, slug, tokens[2]), online[0]),
        (Phone(server, slug, tokens[3]), online[1][::-1]),
    ]
    barrier = threading.Barrier(len(work))

    def run(job):
        phone, bodies = job
        barrier.wait()
        return [phone.send(body) for body in bodies]

    with ThreadPoolExecutor(len(work)) as pool:
        replies = list(pool.map(run, work))
    assert {status for batch in replies for status, _ in batch} == {200}
    # The same outboxes again: identical answers, nothing new.
    again = [work[0][0].send(body) for body in outboxes["A"]]
    assert again == replies[0]
    with app.app_context():
        assert db.session.scalar(select(func.count(CheckInAttempt.id))) == 4 * GUESTS
        admitted = db.session.scalars(
            select(CheckInAttempt.attendee_id).where(CheckInAttempt.result == "admitted")
        ).all()
        assert sorted(admitted) == sorted(i for i, _ in guests)  # one "admitted" per guest
        moved = [
            a
            for a in db.session.scalars(select(CheckInAttempt).filter_by(offline=True))
            if a.result == "already_admitted" and a.answer["admitted_by"] == a.door_pass.name
        ]
        assert moved  # some offline scans did take an admission over, mid-race
        for i, (attendee_id, _) in enumerate(guests):
            person = db.session.get(Guest, attendee_id)
            earliest = "A" if times["A"][i] < times["B"][i] else "B"
            assert person.checked_in_at == min(times["A"][i], times["B"][i])
            assert person.checked_in_by.name == ("Door 1" if earliest == "A" else "Door 2")


def test_a_guest_picked_by_name_offline_counts_from_when_they_were_picked(app, client, two_doors):
    """The roster id stands in for the code; the earlier pick moves a later admission to it."""
    online = post(client, two_doors["slug"], two_doors["two"], scan(two_doors["ada"])).get_json()
    earlier = ago(30)
    body = {"attendee_id": two_doors["ada_id"], "nonce": str(uuid.uuid4()), "device": "Phone A"}
    picked = {**body, "scanned_at": iso(earlier), "shown": "admitted"}
    reply = post(client, two_doors["slug"], two_doors["one"], picked)
    assert reply.status_code == 200
    assert reply.get_json()["admitted_at"] == iso(earlier) != online["admitted_at"]
    assert admission(app, two_doors["ada_id"]) == (earlier, "Door 1")
    again = post(client, two_doors["slug"], two_doors["one"], picked)
    assert again.get_json() == reply.get_json()
    kept = attempts(app, offline=True)
    assert [(a.action, a.shown) for a in kept] == [("search", "admitted")]


@pytest.mark.parametrize(
    "extra,message",
    [
        ({"attendee_id": 0}, "'attendee_id'"),
        ({"attendee_id": "7"}, "'attendee_id'"),
        ({"attendee_id": True}, "'attendee_id'"),
        ({"attendee_id": 7, "code": "x"}, "not both"),
    ],
)
def test_a_bad_attendee_id_is_422(client, two_doors, extra, message):
    """A roster id must be a positive whole number, and never sent along with a code."""
    reply = post(client, two_doors["slug"], two_doors["one"], {"nonce": str(uuid.uuid4()), **extra})
    assert reply.status_code == 422 and message in reply.get_json()["error"]


def test_an_attendee_id_of_another_event_is_unknown(client, two_doors, make_event, make_guest):
    """A door pass cannot check in (or learn about) a guest of another event by id."""
    other_id, _ = make_guest(make_event(), "Someone Else", 2001)
    body = {"attendee_id": other_id, "nonce": str(uuid.uuid4())}
    reply = post(client, two_doors["slug"], two_doors["one"], body)
    assert reply.status_code == 200
    assert reply.get_json() == {
        "result": "unknown",
        "attendee": None,
        "admitted_at": None,
        "admitted_by": None,
    }
