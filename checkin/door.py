"""Check-in at the door: admit, already in, unknown, revoked; undo; walk-ins; counts; roster.

Every entry point is idempotent per (event, nonce): the first call decides and records the
attempt with its answer; a repeat of the nonce replays that answer and records nothing new.
Admission is one conditional UPDATE, so exactly one of any number of racing scans admits.
"""

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from . import tickets
from .database import writing
from .extensions import db
from .models import Attendee, CheckInAttempt, DoorPass, Ticket, fold, utcnow

attendees = Attendee.__table__
attempts = CheckInAttempt.__table__
passes = DoorPass.__table__
ticket_rows = Ticket.__table__

RESULTS = ("admitted", "already_admitted", "unknown", "revoked")


class _Replayed(Exception):
    """Another request with the same nonce got there first."""


def active_pass(token: str | None, now: datetime | None = None) -> DoorPass | None:
    """The door pass a token opens, if it is neither revoked nor expired."""
    if not token or len(token) > 200:
        return None
    door_pass = db.session.scalar(
        select(DoorPass).where(DoorPass.token_hash == tickets.digest(token))
    )
    return door_pass if door_pass and door_pass.is_active(now or utcnow()) else None


def check_in_scan(door_pass: DoorPass, text: str, nonce: str, scanned_at=None, device="") -> dict:
    """Decide on a scanned code (a ticket URL or bare code) and record the attempt."""
    code = tickets.parse_scan(text)

    def decide(now):
        row = _ticket(code) if code else None
        if row is None or row.event_id != door_pass.event_id:
            return None, answer("unknown")
        if row.revoked_at is not None:
            return row.attendee_id, answer("revoked", _person(row.attendee_id))
        return row.attendee_id, _admit(row.attendee_id, door_pass, now)

    return _attempt(door_pass, nonce, "scan", decide, scanned_at, device)


def check_in_attendee(door_pass: DoorPass, attendee_id: int, nonce: str, device="") -> dict:
    """Check in someone picked from the list (the guest with no phone)."""

    def decide(now):
        if _person(attendee_id, door_pass.event_id) is None:
            return None, answer("unknown")
        return attendee_id, _admit(attendee_id, door_pass, now)

    return _attempt(door_pass, nonce, "search", decide, None, device)


def walk_in(door_pass: DoorPass, name: str, email: str, class_year: int | None, nonce: str) -> dict:
    """Register someone who is not on the list and check them in at once."""

    def decide(now):
        person = Attendee(
            event_id=door_pass.event_id, name=name, email=email, class_year=class_year,
            source="walk_in",
        )
        db.session.add(person)
        db.session.flush()
        tickets.issue(person)
        db.session.flush()
        return person.id, _admit(person.id, door_pass, now)

    return _attempt(door_pass, nonce, "walk_in", decide, None, "")


def undo(door_pass: DoorPass, attendee_id: int, nonce: str) -> dict:
    """Take back a check-in made by mistake; the attempt log keeps both."""

    def decide(now):
        person = _person(attendee_id, door_pass.event_id)
        if person is None:
            return None, answer("unknown")
        db.session.execute(
            update(attendees)
            .where(attendees.c.id == attendee_id, attendees.c.checked_in_at.is_not(None))
            .values(checked_in_at=None, checked_in_by_id=None)
        )
        return attendee_id, answer("undone", person)

    return _attempt(door_pass, nonce, "undo", decide, None, "")


def stats(event_id: int) -> dict:
    """How many are expected and how many are in."""
    row = db.session.execute(
        select(func.count(), func.count(attendees.c.checked_in_at)).where(
            attendees.c.event_id == event_id
        )
    ).one()
    return {"expected": row[0], "admitted": row[1]}


def search(event_id: int, query: str, limit: int = 12) -> list[Attendee]:
    """Attendees whose name or email contains what was typed, accents and case ignored."""
    needle = fold(query)[:100]
    if not needle:
        return []
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(
        db.session.scalars(
            select(Attendee)
            .where(Attendee.event_id == event_id, Attendee.search_key.like(pattern, escape="\\"))
            .order_by(Attendee.name)
            .limit(limit)
        )
    )


def roster(event_id: int) -> list[dict]:
    """What a door phone needs to decide offline: names, code hashes, who is in."""
    rows = db.session.execute(
        select(
            attendees.c.id, attendees.c.name, attendees.c.class_year,
            attendees.c.checked_in_at, ticket_rows.c.code_hash,
        )
        .join(ticket_rows, (ticket_rows.c.attendee_id == attendees.c.id)
              & ticket_rows.c.revoked_at.is_(None), isouter=True)
        .where(attendees.c.event_id == event_id)
        .order_by(attendees.c.id)
    )
    return [
        {
            "id": r.id, "name": r.name, "class_year": r.class_year, "code_hash": r.code_hash,
            "checked_in": r.checked_in_at is not None,
            "checked_in_at": _iso(r.checked_in_at),
        }
        for r in rows
    ]


def _attempt(door_pass, nonce, action, decide, scanned_at, device) -> dict:
    """Replay a known nonce, or decide and record the attempt in one write transaction."""
    if (known := _replay(door_pass.event_id, nonce)) is not None:
        return known
    try:
        with writing():
            now = utcnow()
            attendee_id, answer = decide(now)
            if not _record(door_pass, nonce, action, attendee_id, answer, scanned_at or now,
                           now, device):
                raise _Replayed
    except _Replayed:
        return _replay(door_pass.event_id, nonce)
    return answer


def _admit(attendee_id: int, door_pass: DoorPass, now: datetime) -> dict:
    """Admit unless already in: exactly one caller wins the conditional update."""
    won = db.session.execute(
        update(attendees)
        .where(attendees.c.id == attendee_id, attendees.c.checked_in_at.is_(None))
        .values(checked_in_at=now, checked_in_by_id=door_pass.id)
    ).rowcount
    person = _person(attendee_id)
    if won:
        return answer("admitted", person, now, door_pass.name)
    return answer("already_admitted", person, person["checked_in_at"], person["checked_in_by"])


def _ticket(code: str):
    return db.session.execute(
        select(ticket_rows.c.attendee_id, ticket_rows.c.event_id, ticket_rows.c.revoked_at).where(
            ticket_rows.c.code_hash == tickets.digest(code)
        )
    ).first()


def _person(attendee_id: int, event_id: int | None = None) -> dict | None:
    query = (
        select(attendees.c.id, attendees.c.name, attendees.c.class_year,
               attendees.c.checked_in_at, passes.c.name.label("checked_in_by"))
        .join(passes, passes.c.id == attendees.c.checked_in_by_id, isouter=True)
        .where(attendees.c.id == attendee_id)
    )
    if event_id is not None:
        query = query.where(attendees.c.event_id == event_id)
    row = db.session.execute(query).first()
    return dict(row._mapping) if row else None


def answer(result, person=None, admitted_at=None, admitted_by=None) -> dict:
    """The reply to a check-in attempt, as the API sends it and the door page shows it."""
    attendee = (
        {"id": person["id"], "name": person["name"], "class_year": person["class_year"]}
        if person else None
    )
    return {"result": result, "attendee": attendee, "admitted_at": _iso(admitted_at),
            "admitted_by": admitted_by}


def _record(door_pass, nonce, action, attendee_id, answer, scanned_at, now, device) -> bool:
    """Keep the attempt; False if this nonce was already recorded."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(attempts).values(
        event_id=door_pass.event_id, nonce=nonce, door_pass_id=door_pass.id,
        attendee_id=attendee_id, action=action, result=answer["result"], device=(device or "")[:100],
        scanned_at=scanned_at, received_at=now, answer=answer,
    ).on_conflict_do_nothing(index_elements=["event_id", "nonce"]).returning(attempts.c.id)
    return db.session.execute(statement).scalar() is not None


def _replay(event_id: int, nonce: str) -> dict | None:
    return db.session.scalar(
        select(attempts.c.answer).where(attempts.c.event_id == event_id, attempts.c.nonce == nonce)
    )


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")
