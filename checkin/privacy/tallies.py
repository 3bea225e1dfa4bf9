"""The anonymous counts an event keeps after its guests' data is deleted: no one is in them."""

from collections import Counter
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from ..events.events import local
from ..extensions import db
from ..models import Card, Event, EventTally, Guest, Outbox


def count(event: Event) -> dict:
    """The event's counts now: guests, arrivals, cards, mutual pairs, digests sent."""
    guests, came = db.session.execute(
        select(func.count(), func.count(Guest.checked_in_at)).where(Guest.event_id == event.id)
    ).one()
    return {
        "guests": guests,
        "came": came,
        "arrivals": arrivals_per_hour(event),
        "cards": _scalar(select(func.count()).where(Card.event_id == event.id)),
        "mutual": _mutual(event),
        "digests_sent": _scalar(
            select(func.count()).where(
                Outbox.event_id == event.id, Outbox.kind == "digest", Outbox.status == "sent"
            )
        ),
    }


def arrivals_per_hour(event: Event) -> dict[str, int]:
    """Arrivals per hour on the venue's clock: {"2027-11-26 18:00": 12, ...}, in order."""
    moments = db.session.scalars(
        select(Guest.checked_in_at).where(
            Guest.event_id == event.id, Guest.checked_in_at.is_not(None)
        )
    )
    hours = Counter(_hour(event, moment) for moment in moments)
    return dict(sorted(hours.items()))


def keep(event: Event, now: datetime) -> EventTally:
    """Save the counts as the event's tally (inside the caller's transaction)."""
    tally = tally_of(event) or EventTally(event_id=event.id)
    for name, value in count(event).items():
        setattr(tally, name, value)
    tally.counted_at = tally.purged_at = now
    db.session.add(tally)
    return tally


def tally_of(event: Event) -> EventTally | None:
    """The counts kept for a purged event, or None."""
    return db.session.scalar(select(EventTally).where(EventTally.event_id == event.id))


def _hour(event: Event, moment: datetime) -> str:
    return local(event, moment).strftime("%Y-%m-%d %H:00")


def _mutual(event: Event) -> int:
    """Pairs of guests who each recorded a card of the other."""
    back = aliased(Card)
    pairs = (
        select(func.count())
        .select_from(Card)
        .join(back, and_(back.author_id == Card.subject_id, back.subject_id == Card.author_id))
        .where(Card.event_id == event.id, Card.author_id < Card.subject_id)
    )
    return _scalar(pairs)


def _scalar(query) -> int:
    return db.session.scalar(query) or 0
