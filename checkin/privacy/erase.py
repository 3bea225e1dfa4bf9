"""Deleting one guest's data, at their request or the organizer's: final, and at once everywhere.

One write transaction deletes the guest row; the database's foreign keys take their tickets,
personal links (so every session opened with them ends on every node), outbox rows, meet
requests, consent history and the cards they wrote. Cards others wrote about them stay with
their authors' notes and no one named (subject_id SET NULL). Door attempts stay, for the door's
counts, with no guest and no name in their stored answer. Badge sheets that show them lose them
and their PDF. What the guest had consented to is kept as anonymous "deleted" rows, so the
organizer's counts stay true. Their registration (the form's answers and address) and the
invitations to register sent to their address for the event are deleted with them. Mail
files written to them (no SMTP_URL) go after the commit. The association's memory of them
(members/memory.py) is deleted too.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update

from ..database import writing
from ..extensions import db
from ..mail import sent_mail
from ..members import memory
from ..models import (
    BadgeJob,
    CheckInAttempt,
    ConsentChange,
    Event,
    Guest,
    Invitation,
    Outbox,
    Registration,
    utcnow,
)
from . import consents

SOURCES = ("guest", "organizer")
SHEET_GONE = "A guest on this sheet deleted their data, so the sheet was deleted: make it again."


@dataclass(frozen=True)
class Erased:
    """What one erase removed, for the page that says so."""

    name: str
    event_slug: str
    mail_files: int


def erase(guest: Guest, source: str, now: datetime | None = None) -> Erased | None:
    """Delete the guest and everything that names them; None if they were already deleted."""
    if source not in SOURCES:
        raise ValueError(f"Unknown deletion source {source!r}")
    now = now or utcnow()
    guest_id, event_id = guest.id, guest.event_id
    with writing():
        found = db.session.scalar(
            select(Guest).where(Guest.id == guest_id).with_for_update()
        )  # a second submit finds no one
        if found is None:
            return None
        event = db.session.get(Event, event_id)
        addresses = _addresses(found)
        _withdraw(found, now)
        memory.forget_guest(found, "deleted", now)  # the association's memory of them goes too
        _scrub_attempts(guest_id)
        _drop_from_sheets(event_id, guest_id)
        _drop_registrations(found, addresses)
        db.session.execute(delete(Guest).where(Guest.id == guest_id))
        erased = Erased(found.name, event.slug, 0)
    if found in db.session:
        db.session.expunge(found)  # no stale copy of the guest lingers in this session
    removed = sent_mail.delete_to(erased.event_slug, addresses)
    return Erased(erased.name, erased.event_slug, removed)


def _addresses(guest: Guest) -> set[str]:
    """Every address mail to the guest went to: theirs, and each outbox row's."""
    sent = db.session.scalars(select(Outbox.recipient).where(Outbox.attendee_id == guest.id))
    found = {guest.email, *sent}
    return {address.strip().lower() for address in found if address and address.strip()}


def _drop_registrations(guest: Guest, addresses: set[str]) -> None:
    """Delete the guest's registration at the event (their answers and address with it)."""
    mine = Registration.attendee_id == guest.id
    if addresses:
        mine = mine | func.lower(Registration.email).in_(addresses)
    db.session.execute(delete(Registration).where(Registration.event_id == guest.event_id, mine))
    if addresses:  # invitations are kept by address, not by guest
        db.session.execute(
            delete(Invitation).where(
                Invitation.event_id == guest.event_id, Invitation.email.in_(addresses)
            )
        )


def _withdraw(guest: Guest, now: datetime) -> None:
    """Delete the guest's consent history; keep what they had given as anonymous withdrawals."""
    given = [name for name, column in consents.COLUMNS.items() if getattr(guest, column)]
    db.session.execute(delete(ConsentChange).where(ConsentChange.attendee_id == guest.id))
    db.session.add_all(
        ConsentChange(
            event_id=guest.event_id,
            attendee_id=None,
            consent=name,
            value=False,
            source="deleted",
            changed_at=now,
        )
        for name in given
    )


def _scrub_attempts(guest_id: int) -> None:
    """Door attempts keep their result and time, without the guest's name in the answer."""
    attempts = db.session.scalars(
        select(CheckInAttempt).where(CheckInAttempt.attendee_id == guest_id)
    )
    for attempt in attempts:
        attempt.answer = {**(attempt.answer or {}), "attendee": None}
    db.session.flush()
    db.session.execute(
        update(CheckInAttempt)
        .where(CheckInAttempt.attendee_id == guest_id)
        .values(attendee_id=None)
    )


def _drop_from_sheets(event_id: int, guest_id: int) -> None:
    """Take the guest off every badge sheet; a sheet made or being made with them is deleted."""
    jobs = db.session.scalars(select(BadgeJob).where(BadgeJob.event_id == event_id))
    for job in jobs:
        ids = list(job.attendee_ids or [])
        if guest_id not in ids:
            continue
        job.attendee_ids = [i for i in ids if i != guest_id]
        job.total = len(job.attendee_ids)
        if job.status != "failed":
            job.status, job.error = "failed", SHEET_GONE
        job.pdf = None
