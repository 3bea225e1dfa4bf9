"""Guests two door phones both showed as admitted: what the organizer should know about.

A phone that is offline decides from its own copy of the guest list, so two phones can each wave
the same guest in: two phones offline, or one offline while another admitted the guest online.
The server keeps one admission (the earliest scan: check_in.py); the rest are facts worth a look,
since a shared ticket or screenshot looks exactly like this.

What a phone showed is `shown` for a scan decided offline and the server's answer otherwise.
Phones are told apart by door pass and device: one phone showing a guest twice is one volunteer
seeing the same person again, not a conflict. An undo settles what came before it (it was a
volunteer's correction), so only admissions received since the guest's last undo count.
"""

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from sqlalchemy import and_, func, or_, select

from ..extensions import db
from ..models import CheckInAttempt, DoorPass, Event, Guest

attempts = CheckInAttempt.__table__
guests = Guest.__table__
passes = DoorPass.__table__


@dataclass(frozen=True)
class Admission:
    """One phone showing a guest as admitted."""

    door: str | None  # the door pass's name
    device: str
    scanned_at: datetime
    received_at: datetime
    offline: bool
    counts: bool  # this scan is the guest's admission


@dataclass(frozen=True)
class Conflict:
    """A guest more than one phone showed as admitted, and the admission that counts."""

    attendee_id: int
    name: str
    admitted_at: datetime | None
    admitted_by: str | None
    admissions: list[Admission]


def conflicts_of(event: Event) -> list[Conflict]:
    """The event's guests that two or more phones showed as admitted, by name."""
    found = []
    crowded = db.session.scalars(_shown_twice(event.id)).all()
    rows = db.session.execute(_rows(crowded)).all() if crowded else []
    for _, group in groupby(rows, key=lambda row: row.attendee_id):
        current = _since_last_undo(list(group))
        if len({(row.door_pass_id, row.device) for row in current}) > 1:
            found.append(_conflict(sorted(current, key=lambda row: (row.scanned_at, row.id))))
    return found


def _since_last_undo(rows: list) -> list:
    """A guest's admissions received after their last undo (rows come in received order)."""
    undos = [i for i, row in enumerate(rows) if row.result == "undone"]
    return rows[undos[-1] + 1 :] if undos else rows


def _conflict(rows) -> Conflict:
    first = rows[0]
    admissions = [
        Admission(
            door=row.door,
            device=row.device,
            scanned_at=row.scanned_at,
            received_at=row.received_at,
            offline=row.offline,
            counts=(row.door_pass_id, row.scanned_at)
            == (first.checked_in_by_id, first.checked_in_at),
        )
        for row in rows
    ]
    return Conflict(first.attendee_id, first.name, first.checked_in_at, first.by, admissions)


# What a phone showed: `shown` when it decided offline, the server's answer when online.
_SHOWN_ADMITTED = or_(
    and_(attempts.c.offline.is_(True), attempts.c.shown == "admitted"),
    and_(attempts.c.offline.is_(False), attempts.c.result == "admitted"),
)


def _shown_twice(event_id: int):
    """Guests shown admitted more than once, undos aside: one pass over the event's attempts.

    They are few (double admissions, and guests undone and admitted again), so their rows are
    then read by id through the attempts' guest index. Two statements rather than one with
    a subquery: PostgreSQL without fresh statistics ran that as a 45 s loop at 20,000 guests.
    """
    return (
        select(attempts.c.attendee_id)
        .where(
            attempts.c.event_id == event_id,
            attempts.c.attendee_id.is_not(None),
            _SHOWN_ADMITTED,
        )
        .group_by(attempts.c.attendee_id)
        .having(func.count() > 1)
    )


def _rows(guest_ids: list[int]):
    """Those guests' admissions shown and their undos, in the order they were received."""
    by = passes.alias("by")
    return (
        select(
            attempts.c.id,
            attempts.c.attendee_id,
            attempts.c.result,
            guests.c.name,
            guests.c.checked_in_at,
            guests.c.checked_in_by_id,
            by.c.name.label("by"),
            attempts.c.door_pass_id,
            passes.c.name.label("door"),
            attempts.c.device,
            attempts.c.scanned_at,
            attempts.c.received_at,
            attempts.c.offline,
        )
        .join(guests, guests.c.id == attempts.c.attendee_id)
        .join(passes, passes.c.id == attempts.c.door_pass_id, isouter=True)
        .join(by, by.c.id == guests.c.checked_in_by_id, isouter=True)
        .where(
            attempts.c.attendee_id.in_(guest_ids),  # found at this event by _shown_twice
            or_(_SHOWN_ADMITTED, attempts.c.result == "undone"),
        )
        .order_by(guests.c.name, guests.c.id, attempts.c.id)
    )
