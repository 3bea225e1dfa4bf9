"""Check-in at the door: admit, already in, unknown, revoked; undo; walk-ins; counts; roster.

Every entry point is idempotent per (event, nonce): the first call decides and records the
attempt with its answer; a repeat of the nonce finds the nonce taken when it records, rolls its
own decision back and replays the first answer. Admission is one conditional UPDATE, so exactly
one of any number of racing scans admits. The statements on the scan path are built once, with
bind parameters, so a check-in costs SQLAlchemy a cache lookup rather than a compile.

Scans a phone decided offline arrive later, as facts: the server decides them by the same rules
(it judges the ticket; `shown`, what the phone showed, is kept beside the answer) at the time
they were made (scan_times.effective, which is also the attempt's recorded scanned_at). The
earliest scan wins: a scan that finds its guest admitted later than it was made moves the
admission to itself, with a second conditional UPDATE (`... WHERE checked_in_at > :now`), so
racing scans still leave one admission, at the earliest time among them. Only a time the phone
sent (and that was trusted) can move an admission: a scan without one happened when it arrived,
and the conditional UPDATE has already put arrivals in order. Its answer stays
"already_admitted" (the guest was in when it arrived) with admitted_at/admitted_by naming
itself. Nothing in the attempt log changes.

An undo applies to the admission as it stands when the undo arrives. A scan that arrives after
it admits again, even one made before it: a later-arriving scan of the guest's own ticket is
new evidence that they came in.
"""

from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import bindparam, func, insert, null, select, update
from sqlalchemy.exc import IntegrityError

from ..database import writing, writing_rows
from ..events import tickets
from ..extensions import db
from ..models import CheckInAttempt, DoorPass, Guest, Ticket, UTCDateTime, fold, utcnow
from . import scan_times

guests = Guest.__table__
attempts = CheckInAttempt.__table__
passes = DoorPass.__table__
ticket_rows = Ticket.__table__

RESULTS = ("admitted", "already_admitted", "unknown", "revoked", "cancelled")
SHOWN = ("admitted", "already_admitted", "unknown")  # what a phone offline can show


class _Replayed(Exception):
    """Another request with the same nonce got there first."""


class _Door(NamedTuple):
    """The door pass fields a decision needs, read once before the write lock."""

    id: int
    event_id: int
    name: str


def active_pass(token: str | None, now: datetime | None = None) -> DoorPass | None:
    """The door pass a token opens, if it is neither revoked nor expired."""
    if not token or len(token) > 200:
        return None
    door_pass = db.session.scalar(
        select(DoorPass).where(DoorPass.token_hash == tickets.digest(token))
    )
    return door_pass if door_pass and door_pass.is_active(now or utcnow()) else None


def check_in_scan(
    door_pass, text: str, nonce: str, scanned_at=None, device="", shown: str | None = None
) -> dict:
    """Decide on a scanned code (a ticket URL or bare code) and record the attempt.

    `shown` is what a phone that decided offline showed; its scan is recorded as offline.
    """
    code = tickets.parse_scan(text)

    def decide(connection, door, moment):
        if code is None:
            return None, answer("unknown")
        moves = scanned_at is not None and moment == scanned_at  # the phone's time was trusted
        return _admit(connection, door, moment, _SCANNED, {"code": tickets.digest(code)}, moves)

    return _attempt(door_pass, nonce, "scan", decide, scanned_at, device, shown)


def check_in_guest(
    door_pass, attendee_id: int, nonce: str, scanned_at=None, device="", shown: str | None = None
) -> dict:
    """Check in someone picked from the list (the guest with no phone), now or offline earlier."""

    def decide(connection, door, moment):
        moves = scanned_at is not None and moment == scanned_at  # the phone's time was trusted
        return _admit(connection, door, moment, _PICKED, {"guest": attendee_id}, moves)

    return _attempt(door_pass, nonce, "search", decide, scanned_at, device, shown)


def walk_in(door_pass, name: str, email: str, class_year: int | None, nonce: str) -> dict:
    """Register someone who is not on the list and check them in at once."""

    def decide(connection, door, now):
        person = Guest(
            event_id=door.event_id, name=name, email=email, class_year=class_year, source="walk_in"
        )
        db.session.add(person)
        db.session.flush()
        tickets.issue(person)
        db.session.flush()
        return _admit(connection, door, now, _PICKED, {"guest": person.id})

    return _attempt(door_pass, nonce, "walk_in", decide, None, "", transaction=writing)


def undo(door_pass, attendee_id: int, nonce: str) -> dict:
    """Take back a check-in made by mistake; the attempt log keeps both.

    It applies to the admission as it stands now; scans that arrive later are decided afresh.
    """

    def decide(connection, door, now):
        params = {"guest": attendee_id, "event": door.event_id}
        person = connection.execute(_FOUND_PICKED, params).first()
        if person is None:
            return None, answer("unknown")
        connection.execute(_UNDO, params)
        return attendee_id, answer("undone", person._mapping)

    return _attempt(door_pass, nonce, "undo", decide, None, "")


def stats(event_id: int) -> dict:
    """How many are expected and how many are in."""
    row = db.session.execute(
        select(func.count(), func.count(guests.c.checked_in_at)).where(
            guests.c.event_id == event_id, guests.c.cancelled_at.is_(None)
        )
    ).one()
    return {"expected": row[0], "admitted": row[1]}


def search(event_id: int, query: str, limit: int = 12) -> list[Guest]:
    """Guests whose name or email contains what was typed, accents and case ignored."""
    needle = fold(query)[:100]
    if not needle:
        return []
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(
        db.session.scalars(
            select(Guest)
            .where(Guest.event_id == event_id, Guest.search_key.like(pattern, escape="\\"))
            .where(Guest.cancelled_at.is_(None))
            .order_by(Guest.name)
            .limit(limit)
        )
    )


def roster(event_id: int) -> list[dict]:
    """What a door phone needs to decide offline: names, code hashes, who is in."""
    rows = db.session.execute(
        select(
            guests.c.id,
            guests.c.name,
            guests.c.class_year,
            guests.c.checked_in_at,
            ticket_rows.c.code_hash,
        )
        .join(
            ticket_rows,
            (ticket_rows.c.attendee_id == guests.c.id) & ticket_rows.c.revoked_at.is_(None),
            isouter=True,
        )
        .where(guests.c.event_id == event_id, guests.c.cancelled_at.is_(None))
        .order_by(guests.c.id)
    )
    return [
        {
            "id": r.id,
            "name": r.name,
            "class_year": r.class_year,
            "code_hash": r.code_hash,
            "checked_in": r.checked_in_at is not None,
            "checked_in_at": _iso(r.checked_in_at),
        }
        for r in rows
    ]


def answer(result, person=None, admitted_at=None, admitted_by=None) -> dict:
    """The reply to a check-in attempt, as the API sends it and the door page shows it."""
    guest = (
        {"id": person["id"], "name": person["name"], "class_year": person["class_year"]}
        if person
        else None
    )
    return {
        "result": result,
        "attendee": guest,
        "admitted_at": _iso(admitted_at),
        "admitted_by": admitted_by,
    }


def _attempt(
    door_pass, nonce, action, decide, scanned_at, device, shown=None, transaction=writing_rows
):
    """Decide and record the attempt in one write transaction, or replay a known nonce.

    decide() gets the moment the attempt counts as made: the phone's scan time if it sent a
    plausible one, else now.
    """
    door = _Door(door_pass.id, door_pass.event_id, door_pass.name)  # read before the write lock
    try:
        with transaction() as connection:
            now = utcnow()
            moment = scan_times.effective(connection, door.event_id, scanned_at, now)
            attendee_id, reply = decide(connection, door, moment)
            row = _row(door, nonce, action, attendee_id, reply, moment, now, device, shown)
            _record(connection, row)
    except _Replayed as replayed:  # the transaction rolled back whatever this attempt decided
        known = _replay(door.event_id, nonce)
        if known is None:
            raise replayed.__cause__ from None  # some other constraint failed
        return known
    return reply


# The guest a scanned code stands for: its live ticket, at this door's event.
_LIVE_TICKET = (
    select(ticket_rows.c.attendee_id)
    .where(
        ticket_rows.c.code_hash == bindparam("code"),
        ticket_rows.c.event_id == bindparam("event"),
        ticket_rows.c.revoked_at.is_(None),
    )
    .scalar_subquery()
)
_NOW = bindparam("now", type_=UTCDateTime())
_ADMIT = (
    update(guests)
    .values(checked_in_at=_NOW, checked_in_by_id=bindparam("pass_id"))
    .where(guests.c.checked_in_at.is_(None), guests.c.event_id == bindparam("event"))
    .returning(guests.c.id, guests.c.name, guests.c.class_year)
)
# Earliest scan wins: move an admission made later than this scan to this scan.
_EARLIER = (
    update(guests)
    .values(checked_in_at=_NOW, checked_in_by_id=bindparam("pass_id"))
    .where(
        guests.c.id == bindparam("guest"),
        guests.c.event_id == bindparam("event"),
        guests.c.checked_in_at > _NOW,
    )
    .returning(guests.c.id)
)
_SCANNED = _ADMIT.where(guests.c.id == _LIVE_TICKET)
_PICKED = _ADMIT.where(guests.c.id == bindparam("guest"), guests.c.cancelled_at.is_(None))
_FOUND = (
    select(
        guests.c.id,
        guests.c.name,
        guests.c.class_year,
        guests.c.checked_in_at,
        guests.c.cancelled_at,
        passes.c.name.label("checked_in_by"),
    )
    .join(passes, passes.c.id == guests.c.checked_in_by_id, isouter=True)
    .where(guests.c.event_id == bindparam("event"))
)
_FOUND_SCANNED = (
    _FOUND.add_columns(ticket_rows.c.revoked_at)
    .join(ticket_rows, ticket_rows.c.attendee_id == guests.c.id)
    .where(ticket_rows.c.code_hash == bindparam("code"))
)
_FOUND_PICKED = _FOUND.add_columns(null().label("revoked_at")).where(
    guests.c.id == bindparam("guest")
)


_UNDO = (
    update(guests)
    .values(checked_in_at=None, checked_in_by_id=None)
    .where(guests.c.id == bindparam("guest"), guests.c.event_id == bindparam("event"))
)


def _admit(connection, door, now: datetime, admit, params, moves=False, tries=3) -> tuple:
    """Admit unless already in: exactly one caller wins the conditional update.

    With `moves`, a scan made before the admission it finds takes the admission over.
    """
    params = {**params, "event": door.event_id}
    won = connection.execute(admit, {**params, "now": now, "pass_id": door.id}).first()
    if won is not None:
        return won.id, answer("admitted", won._mapping, now, door.name)
    found = _FOUND_SCANNED if admit is _SCANNED else _FOUND_PICKED
    person = connection.execute(found, params).first()
    if person is None:
        return None, answer("unknown")
    if person.cancelled_at is not None:  # gave their place back ("I can't come after all")
        return person.id, answer("cancelled", person._mapping)
    if person.revoked_at is not None:
        return person.id, answer("revoked", person._mapping)
    if person.checked_in_at is None and tries > 1:  # undone since our update: try again
        return _admit(connection, door, now, admit, params, moves, tries - 1)
    if moves and person.checked_in_at is not None and now < person.checked_in_at:
        earlier = {"guest": person.id, "event": door.event_id, "now": now, "pass_id": door.id}
        if connection.execute(_EARLIER, earlier).first() is not None:
            return person.id, answer("already_admitted", person._mapping, now, door.name)
        if tries > 1:  # moved earlier still, or undone, since we read it: read again
            return _admit(connection, door, now, admit, params, moves, tries - 1)
    return person.id, answer(
        "already_admitted", person._mapping, person.checked_in_at, person.checked_in_by
    )


# A plain INSERT (the dialects' ON CONFLICT inserts cannot be cached in SQLAlchemy 2.0); the
# unique (event_id, nonce) constraint turns a second use of a nonce into an IntegrityError.
_RECORD = insert(attempts)
_REPLAY = select(attempts.c.answer).where(
    attempts.c.event_id == bindparam("event"), attempts.c.nonce == bindparam("nonce")
)


def _row(door, nonce, action, attendee_id, reply, scanned_at, now, device, shown) -> dict:
    """The attempt as it will be kept."""
    return {
        "event_id": door.event_id,
        "nonce": nonce,
        "door_pass_id": door.id,
        "attendee_id": attendee_id,
        "action": action,
        "result": reply["result"],
        "device": _label(device),
        "scanned_at": scanned_at,
        "received_at": now,
        "answer": reply,
        "offline": shown is not None,
        "shown": shown,
    }


def _label(device: str | None) -> str:
    """A device label fit to store: no NUL, control characters or lone surrogates (PostgreSQL
    and SQLite refuse them), at most 100 characters."""
    return "".join(c for c in (device or "")[:100] if c.isprintable())


def _record(connection, row: dict) -> None:
    """Keep the attempt; raise _Replayed if this nonce was already recorded."""
    try:
        connection.execute(_RECORD, row)
    except IntegrityError as error:
        raise _Replayed from error


def _replay(event_id: int, nonce: str) -> dict | None:
    with db.engine.connect() as connection:
        return connection.execute(_REPLAY, {"event": event_id, "nonce": nonce}).scalar()


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")
