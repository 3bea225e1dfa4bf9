"""Whether an attendee still gets an event's emails (the digest, introductions): unsubscribe."""

from sqlalchemy import update

from . import mail_links
from .database import writing
from .extensions import db
from .models import Attendee, utcnow


def unsubscribe(attendee: Attendee) -> None:
    """Stop this event's digest and introductions for the attendee; a repeat changes nothing."""
    with writing():
        db.session.execute(
            update(Attendee)
            .where(Attendee.id == attendee.id, Attendee.unsubscribed_at.is_(None))
            .values(unsubscribed_at=utcnow())
        )
    db.session.refresh(attendee)


def resubscribe(attendee: Attendee) -> None:
    """Send this event's emails to the attendee again."""
    with writing():
        db.session.execute(
            update(Attendee).where(Attendee.id == attendee.id).values(unsubscribed_at=None)
        )
    db.session.refresh(attendee)


def reader_of(token: str) -> Attendee | None:
    """The attendee an unsubscribe link belongs to, or None for a forged or garbled one."""
    ids = mail_links.read("unsubscribe", token)
    if ids is None or ids[1] is not None:
        return None
    return db.session.get(Attendee, ids[0])
