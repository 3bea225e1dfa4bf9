"""Consent on record: every consent given or withdrawn, with how and when; the organizer's counts.

The guest's row holds each consent's current value; consent_changes holds how it got there.
record() is the one way a consent changes: it sets the guest's value and adds a row when the
value really changes. A new guest's first values are recorded as they are created (first_rows),
the ones an answer set: findable always, profile when the registration asked, the others when on.
The organizer sees counts only, never one guest's history.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, distinct, func, insert, select

from ..extensions import db
from ..models import ConsentChange, Event, Guest, utcnow

COLUMNS = {  # consent -> the guest's column that holds its current value
    "findable": "consent_findable",
    "share_contact": "consent_share_contact",
    "digest": "consent_digest",
    "profile": "consent_profile",
    "remember": "consent_remember",
}
LABELS = {
    "findable": "Findable by other guests",
    "share_contact": "Share contact details with mutual connections",
    "digest": "The next-morning email",
    "profile": "Registration: \u201cmay others see your profile?\u201d",
    "remember": "Remember me at this association\u2019s events",
}
SOURCES = {
    "guest": "you, in the app",
    "import": "the registration (guest-list import)",
    "registration": "the registration form",
    "unsubscribe": "the unsubscribe link",
    "resubscribe": "subscribing again",
    "organizer": "the organizer",
    "deleted": "deleting the data",
    "retention": "not seen for the association\u2019s retention period",
}
COUNTED = ("findable", "share_contact", "digest")  # what the organizer's page counts


def record(guest: Guest, changes: dict, source: str, now: datetime | None = None) -> list:
    """Set the guest's consents; add a row for each that really changes (inside writing())."""
    if source not in SOURCES:
        raise ValueError(f"Unknown consent source {source!r}")
    rows = []
    for consent, value in changes.items():
        column = COLUMNS[consent]
        if getattr(guest, column) == value:
            continue
        setattr(guest, column, value)
        if value is not None:
            rows.append(_row(guest.event_id, guest.id, consent, value, source, now))
    if rows:
        db.session.add_all(ConsentChange(**row) for row in rows)
    return rows


def first_rows(event_id: int, attendee_id: int, values: dict, source: str, now=None) -> list:
    """The rows that record a new guest's first consents (values: column -> value)."""
    rows = []
    for consent, column in COLUMNS.items():
        value = values.get(column)
        if consent == "findable" or value is True or (consent == "profile" and value is not None):
            rows.append(_row(event_id, attendee_id, consent, bool(value), source, now))
    return rows


def record_first(guest: Guest, source: str, now: datetime | None = None) -> None:
    """Record a new guest's first consents (flushed, inside writing())."""
    insert_rows(first_rows(guest.event_id, guest.id, values_of(guest), source, now))


def values_of(guest: Guest) -> dict:
    """The guest's consent columns and their current values."""
    return {column: getattr(guest, column) for column in COLUMNS.values()}


def insert_rows(rows: list[dict]) -> None:
    """Add many consent rows in one statement (the import's thousands)."""
    if rows:
        db.session.execute(insert(ConsentChange.__table__), rows)


def history(guest: Guest) -> list[ConsentChange]:
    """The guest's own consent changes, oldest first."""
    return list(
        db.session.scalars(
            select(ConsentChange)
            .where(ConsentChange.attendee_id == guest.id, ConsentChange.event_id == guest.event_id)
            .order_by(ConsentChange.changed_at, ConsentChange.id)
        )
    )


@dataclass(frozen=True)
class Counts:
    """How many guests of an event say yes and no to each consent, and how many withdrew."""

    yes: dict
    no: dict
    unsubscribed: int  # guests who withdrew the digest with an unsubscribe link
    deleted: int  # consents withdrawn by guests deleting their data

    @property
    def any(self) -> bool:
        """True once the event has guests (or had)."""
        return bool(sum(self.yes.values()) + sum(self.no.values()) + self.deleted)


def counts(event: Event) -> Counts:
    """The event's consent counts: current yes and no per consent, withdrawals by how."""
    columns = [getattr(Guest, COLUMNS[c]) for c in COUNTED]
    yes = db.session.execute(
        select(*(func.coalesce(func.sum(case((col.is_(True), 1), else_=0)), 0) for col in columns))
        .add_columns(func.count())
        .where(Guest.event_id == event.id)
    ).one()
    total = yes[-1]
    withdrawn = dict(
        db.session.execute(
            select(ConsentChange.source, func.count(distinct(ConsentChange.attendee_id)))
            .where(ConsentChange.event_id == event.id, ConsentChange.source == "unsubscribe")
            .group_by(ConsentChange.source)
        ).all()
    )
    deleted = db.session.scalar(
        select(func.count()).where(
            ConsentChange.event_id == event.id, ConsentChange.source == "deleted"
        )
    )
    return Counts(
        yes={c: int(yes[i]) for i, c in enumerate(COUNTED)},
        no={c: total - int(yes[i]) for i, c in enumerate(COUNTED)},
        unsubscribed=withdrawn.get("unsubscribe", 0),
        deleted=deleted or 0,
    )


def _row(event_id, attendee_id, consent, value, source, now) -> dict:
    return {
        "event_id": event_id,
        "attendee_id": attendee_id,
        "consent": consent,
        "value": bool(value),
        "source": source,
        "changed_at": now or utcnow(),
    }
