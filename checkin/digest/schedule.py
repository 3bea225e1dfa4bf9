"""When an event's digest goes out: 9:00 the morning after it ends, in the event's own zone.

The default is computed from the end time and the zone each time it is asked for, so editing the
event moves it; an organizer's own choice is stored in Event.digest_at (UTC). "The morning
after" is the next calendar day, except for an event that ends in the small hours (before
EARLY_MORNING local): that night's morning is the same date. Building the local wall-clock time
with zoneinfo and converting to UTC keeps 9:00 at 9:00 across daylight-saving changes.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..models import Event

DIGEST_HOUR = time(9, 0)
EARLY_MORNING = time(5, 0)  # an event ending before this (local) gets its digest the same day
LATE = timedelta(days=14)  # an event's digest is not sent by itself once this long overdue


def default_time(event: Event) -> datetime:
    """9:00 local the morning after the event ends, as an aware UTC datetime."""
    zone = ZoneInfo(event.timezone or "UTC")
    ended = event.ends_at.astimezone(zone)
    day = ended.date() if ended.time() < EARLY_MORNING else ended.date() + timedelta(days=1)
    return datetime.combine(day, DIGEST_HOUR, tzinfo=zone).astimezone(UTC)


def digest_time(event: Event) -> datetime:
    """When the event's digest is due: the organizer's choice, else the default."""
    return event.digest_at or default_time(event)


def is_due(event: Event, now: datetime) -> bool:
    """True when the digest's time has come, it is not yet queued and not weeks overdue."""
    due = digest_time(event)
    return event.digest_queued_at is None and due <= now < due + LATE


def local(moment: datetime, event: Event) -> datetime:
    """A UTC moment as wall-clock time in the event's zone."""
    return moment.astimezone(ZoneInfo(event.timezone or "UTC"))
