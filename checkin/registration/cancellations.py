""" "I can't come after all": a guest gives their place back.

Their ticket is revoked (the door answers "cancelled"), they leave the door's roster, their
registration (if they registered) becomes "cancelled", and the place goes to the waitlist
(waitlist.offer_next), all in one write transaction with the event's row locked. Imported
guests can cancel too; at an event with a capacity that frees a place like any other. There
is no undo: someone who changes their mind registers again (or asks the organizer).
"""

from datetime import datetime

from sqlalchemy import func, select, update

from ..database import writing
from ..extensions import db
from ..models import Guest, Registration, Ticket, utcnow
from . import places, waitlist


def cancel(guest: Guest, now: datetime | None = None) -> bool:
    """Cancel the guest's place; False when it was cancelled already (a double submit)."""
    now = now or utcnow()
    with writing():
        places.lock(guest.event)
        db.session.refresh(guest)
        if guest.cancelled_at is not None:
            return False
        guest.cancelled_at = now
        db.session.execute(
            update(Ticket)
            .where(Ticket.attendee_id == guest.id, Ticket.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        for registration in _registrations_of(guest):
            registration.status, registration.decided_at = "cancelled", now
        offered = waitlist.offer_next(guest.event, now)
    waitlist.send_offers(offered)
    return True


def _registrations_of(guest: Guest) -> list[Registration]:
    """The guest's registration at their event: linked to them, or by the same address."""
    same = Registration.attendee_id == guest.id
    if guest.email:
        same = same | (func.lower(Registration.email) == guest.email.strip().lower())
    return list(
        db.session.scalars(
            select(Registration).where(
                Registration.event_id == guest.event_id,
                same,
                Registration.status.not_in(("cancelled", "declined", "lapsed")),
            )
        )
    )
