"""The organizer approves registrations by hand (an event setting): approve or decline.

A confirmed registration at such an event waits in "approval" (places.place). Approving places
it like any confirmation (guest, or waitlisted when full); declining tells the person, kindly.
Both are idempotent: a registration no longer waiting for approval is left as it is.
"""

from datetime import datetime

from sqlalchemy import select

from ..database import writing
from ..extensions import db
from ..models import Event, Registration, utcnow
from . import places, waitlist


def waiting(event: Event) -> list[Registration]:
    """The event's registrations waiting for approval, first confirmed first."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status == "approval")
            .order_by(Registration.confirmed_at, Registration.id)
        )
    )


def registration_of(event: Event, registration_id: int) -> Registration | None:
    """One of this event's registrations (another event's is not found)."""
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.id == registration_id
        )
    )


def approve(registration: Registration, now: datetime | None = None) -> str:
    """Give the registration a place (or a waitlist spot); returns its status after."""
    now = now or utcnow()
    with writing():
        places.lock(registration.event)
        db.session.refresh(registration)
        was = registration.status
        if was == "approval":
            places.place(registration, now, approved=True)
    if was == "approval" and registration.status == "guest":
        waitlist.send_ticket(registration)
    return registration.status


def decline(registration: Registration, now: datetime | None = None) -> bool:
    """Say no to a registration waiting for approval; True when it was declined just now."""
    from .. import tasks

    now = now or utcnow()
    with writing():
        places.lock(registration.event)
        db.session.refresh(registration)
        if registration.status != "approval":
            return False
        registration.status, registration.decided_at = "declined", now
    tasks.send_declined(registration.id)
    return True
