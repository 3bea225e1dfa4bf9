"""How long an event keeps its guests' data: a number of days after it ends, then the purge."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ..database import writing
from ..events.events import local
from ..extensions import db
from ..models import Event

SHORTEST, LONGEST = 1, 3650  # days an organizer may choose (Event.retention_days: 180 at first)


def purge_at(event: Event) -> datetime:
    """When the event's personal data is due: its end's wall-clock time, that many days later.

    Counted on the venue's clock, so a change to or from summer time does not move the day.
    """
    return (local(event, event.ends_at) + timedelta(days=event.retention_days)).astimezone(UTC)


def deletion_day(event: Event) -> str:
    """The day of the deletion as the venue reads it: "5 June 2027"."""
    return day(purge_at(event), event)


def day(moment: datetime, event: Event) -> str:
    """A moment's date in the event's time zone: "5 June 2027"."""
    return local(event, moment).strftime("%-d %B %Y")


def set_days(event: Event, days: int) -> Event:
    """Keep the event's personal data this many days after it ends."""
    if not SHORTEST <= days <= LONGEST:
        raise ValueError(f"Choose between {SHORTEST} and {LONGEST} days.")
    with writing():
        event.retention_days = days
    return event


def due(now: datetime) -> list[Event]:
    """Events not purged yet whose retention has passed by now, oldest end first."""
    ended = db.session.scalars(
        select(Event)
        .where(Event.purged_at.is_(None), Event.ends_at < now - timedelta(days=SHORTEST))
        .order_by(Event.ends_at)
    )
    return [event for event in ended if purge_at(event) <= now]
