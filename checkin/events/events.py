"""Events: create, edit, and find the ones an organizer may see; their times in their own zone."""

import re
import secrets
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask import abort
from sqlalchemy import select

from ..database import writing
from ..extensions import db
from ..models import Event, Organizer


def slugify(name: str) -> str:
    """A URL-safe slug from an event name, made unique with a short random suffix."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50] or "event"
    return f"{base}-{secrets.token_hex(3)}"


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_timezone(name: str) -> bool:
    """True for an IANA time zone name such as America/New_York."""
    return name in _zones()


@cache
def common_timezones() -> tuple[str, ...]:
    """The zone names worth suggesting: Region/City, without legacy aliases."""
    legacy = ("Etc/", "SystemV/", "US/", "posix/", "right/")
    return tuple(sorted(z for z in _zones() if "/" in z and not z.startswith(legacy)))


def missing_local_time(moment: datetime, timezone: str) -> bool:
    """True when a wall-clock time never happens in the zone (skipped when clocks go forward)."""
    zone = ZoneInfo(timezone)
    there_and_back = moment.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return there_and_back.replace(tzinfo=None) != moment.replace(tzinfo=None)


def create_event(
    organizer: Organizer,
    name: str,
    venue: str,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str,
    slug: str | None = None,
) -> Event:
    """Create an event; starts_at and ends_at are local times in the event's time zone."""
    with writing():
        event = Event(organizer_id=organizer.id, slug=slug or slugify(name))
        _apply(event, name, venue, starts_at, ends_at, timezone)
        db.session.add(event)
    return event


def update_event(
    event: Event, name: str, venue: str, starts_at: datetime, ends_at: datetime, timezone: str
) -> Event:
    """Change an event's details; local times are read in the (possibly new) time zone."""
    with writing():
        _apply(event, name, venue, starts_at, ends_at, timezone)
    return event


def events_of(organizer: Organizer) -> list[Event]:
    """The organizer's events, newest first."""
    return list(
        db.session.scalars(
            select(Event).where(Event.organizer_id == organizer.id).order_by(Event.starts_at.desc())
        )
    )


def by_slug(slug: str) -> Event | None:
    """The event with this slug, whoever runs it (for public pages and the CLI)."""
    return db.session.scalar(select(Event).where(Event.slug == slug))


def event_of(organizer: Organizer, slug: str) -> Event:
    """The organizer's event with this slug, or 404 (someone else's event is not found either)."""
    if not isinstance(organizer, Organizer):
        abort(404)  # a guest's session never reaches organizer data
    event = db.session.scalar(
        select(Event).where(Event.slug == slug, Event.organizer_id == organizer.id)
    )
    if event is None:
        abort(404)
    return event


def local(event: Event, moment: datetime | None) -> datetime | None:
    """A UTC moment in the event's own time zone."""
    return moment.astimezone(ZoneInfo(event.timezone)) if moment else None


def local_naive(event: Event, moment: datetime) -> datetime:
    """A moment as the wall-clock time a datetime-local field shows."""
    return local(event, moment).replace(tzinfo=None)


def when(moment: datetime | str | None, event: Event) -> str:
    """A moment as the event's guests read it: "Thu 26 Nov, 18:03"."""
    moment = _moment(moment)
    return local(event, moment).strftime("%a %-d %b, %H:%M") if moment else ""


def clock(moment: datetime | str | None, event: Event) -> str:
    """A moment's time of day in the event's time zone: "18:03"."""
    moment = _moment(moment)
    return local(event, moment).strftime("%H:%M") if moment else ""


def _moment(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _apply(event, name, venue, starts_at, ends_at, timezone):
    zone = ZoneInfo(timezone)
    event.name, event.venue, event.timezone = name.strip(), (venue or "").strip(), timezone
    event.starts_at = starts_at.replace(tzinfo=zone) if starts_at.tzinfo is None else starts_at
    event.ends_at = ends_at.replace(tzinfo=zone) if ends_at.tzinfo is None else ends_at
