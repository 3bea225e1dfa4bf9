"""Whether an attendee still gets digests and introductions: unsubscribe, and the way back.

An unsubscribe is recorded on the attendee it came from (Attendee.unsubscribed_at) and holds
for their address at every event of the same organizer, later ones included: an alumni
association's next reunion should not mail someone who said "no more" at the last one.
Subscribing again clears it everywhere. Ticket emails, which the organizer sends by hand,
are not affected.
"""

from sqlalchemy import exists, func, select, update

from ..database import writing
from ..extensions import db
from ..models import Attendee, Event, utcnow
from . import links


def unsubscribe(attendee: Attendee) -> None:
    """No more digests or introductions to the attendee (see above); a repeat changes nothing."""
    with writing():
        db.session.execute(
            update(Attendee)
            .where(Attendee.id == attendee.id, Attendee.unsubscribed_at.is_(None))
            .values(unsubscribed_at=utcnow())
        )
        # The app's "send me the digest" box shows the truth; ticking it again opts back in.
        db.session.execute(
            update(Attendee).where(Attendee.id == attendee.id).values(consent_digest=False)
        )
    db.session.refresh(attendee)


def resubscribe(attendee: Attendee) -> None:
    """Send digests and introductions to the attendee's address again, at every event."""
    with writing():
        db.session.execute(
            update(Attendee)
            .where(Attendee.id.in_(_same_person(attendee)))
            .values(unsubscribed_at=None)
        )
        db.session.execute(
            update(Attendee).where(Attendee.id == attendee.id).values(consent_digest=True)
        )
    db.session.refresh(attendee)


def is_unsubscribed(attendee: Attendee) -> bool:
    """True when the attendee, or their address at another of the organizer's events, said no."""
    if attendee.unsubscribed_at is not None:
        return True
    found = select(Attendee.id).where(
        Attendee.id.in_(_same_person(attendee)), Attendee.unsubscribed_at.is_not(None)
    )
    return bool(db.session.scalar(select(exists(found))))


def _same_person(attendee: Attendee):
    """The ids of the attendee's rows at the organizer's events: same address, or just them."""
    email = (attendee.email or "").strip().lower()
    if not email:
        return select(Attendee.id).where(Attendee.id == attendee.id)
    organizer = select(Event.organizer_id).where(Event.id == attendee.event_id).scalar_subquery()
    return (
        select(Attendee.id)
        .join(Event, Event.id == Attendee.event_id)
        .where(Event.organizer_id == organizer, func.lower(func.trim(Attendee.email)) == email)
    )


def reader_of(token: str) -> Attendee | None:
    """The attendee an unsubscribe link belongs to, or None for a forged or garbled one."""
    ids = links.read("unsubscribe", token)
    if ids is None or ids[1] is not None:
        return None
    return db.session.get(Attendee, ids[0])
