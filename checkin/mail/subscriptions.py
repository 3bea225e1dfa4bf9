"""Whether a guest still gets digests, introductions and day-before reminders: unsubscribe,
and the way back.

An unsubscribe is recorded on the guest it came from (Guest.unsubscribed_at) and holds
for their address at every event of the same association, later ones included: an alumni
association's next reunion should not mail someone who said "no more" at the last one.
Subscribing again clears it everywhere. Ticket emails, which the organizer sends by hand,
are not affected.
"""

from sqlalchemy import exists, func, select, update

from ..database import writing
from ..extensions import db
from ..models import Event, Guest, utcnow
from ..privacy import consents
from . import links


def unsubscribe(guest: Guest) -> None:
    """No more digests or introductions to the guest (see above); a repeat changes nothing."""
    with writing():
        db.session.refresh(guest)
        db.session.execute(
            update(Guest)
            .where(Guest.id == guest.id, Guest.unsubscribed_at.is_(None))
            .values(unsubscribed_at=utcnow())
        )
        # The app's "send me the digest" box shows the truth; ticking it again opts back in.
        consents.record(guest, {"digest": False}, "unsubscribe")
    db.session.refresh(guest)


def resubscribe(guest: Guest, source: str = "resubscribe") -> None:
    """Send digests and introductions to the guest's address again, at every event."""
    with writing():
        db.session.refresh(guest)
        db.session.execute(
            update(Guest).where(Guest.id.in_(_same_person(guest))).values(unsubscribed_at=None)
        )
        consents.record(guest, {"digest": True}, source)
    db.session.refresh(guest)


def is_unsubscribed(guest: Guest) -> bool:
    """True when the guest, or their address at another of the association's events, said no."""
    if guest.unsubscribed_at is not None:
        return True
    found = select(Guest.id).where(
        Guest.id.in_(_same_person(guest)), Guest.unsubscribed_at.is_not(None)
    )
    return bool(db.session.scalar(select(exists(found))))


def _same_person(guest: Guest):
    """The ids of the guest's rows at the association's events: same address, or just them."""
    email = (guest.email or "").strip().lower()
    if not email:
        return select(Guest.id).where(Guest.id == guest.id)
    association = select(Event.association_id).where(Event.id == guest.event_id).scalar_subquery()
    return (
        select(Guest.id)
        .join(Event, Event.id == Guest.event_id)
        .where(Event.association_id == association, func.lower(func.trim(Guest.email)) == email)
    )


def reader_of(token: str) -> Guest | None:
    """The guest an unsubscribe link belongs to, or None for a forged or garbled one."""
    ids = links.read("unsubscribe", token)
    if ids is None or ids[1] is not None:
        return None
    return db.session.get(Guest, ids[0])
