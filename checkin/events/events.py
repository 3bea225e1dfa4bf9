"""Events: create, edit, and find the ones an organizer may see; their times in their own zone."""

import re
import secrets
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from flask import abort, has_request_context, request
from sqlalchemy import select

from ..associations import teams
from ..database import writing
from ..extensions import db
from ..models import Association, Event, Membership, Organizer

READING = frozenset({"GET", "HEAD", "OPTIONS"})  # the methods a viewer may use


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
    association: Association | None = None,
) -> Event:
    """Create an event in an association where the organizer runs events (their first, unless
    named); starts_at and ends_at are local times in the event's time zone."""
    association = _where_to_create(organizer, association)
    with writing():
        event = Event(
            organizer_id=organizer.id, association_id=association.id, slug=slug or slugify(name)
        )
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
    """The events of the organizer's associations, newest first."""
    return list(
        db.session.scalars(
            select(Event)
            .join(Membership, Membership.association_id == Event.association_id)
            .where(Membership.organizer_id == organizer.id)
            .order_by(Event.starts_at.desc())
        )
    )


def events_by_association(organizer: Organizer) -> list[tuple[Membership, list[Event]]]:
    """The organizer's teams, by name, each with its events (newest first)."""
    found = events_of(organizer)
    return [
        (m, [e for e in found if e.association_id == m.association_id])
        for m in teams.memberships_of(organizer)
    ]


def by_slug(slug: str) -> Event | None:
    """The event with this slug, whoever runs it (for public pages and the CLI)."""
    return db.session.scalar(select(Event).where(Event.slug == slug))


def event_of(organizer: Organizer, slug: str, change: bool | None = None) -> Event:
    """The event with this slug of one of the organizer's associations, or 404 (another
    association's event is not found either); with change, 403 unless they may change it.
    change=None decides by the request: anything but reading (a POST, say) is a change."""
    event, role = event_and_role(organizer, slug)
    if change is None:
        change = has_request_context() and request.method not in READING
    if change and not teams.can_change(role):
        abort(403)
    return event


def event_and_role(organizer: Organizer, slug: str) -> tuple[Event, str]:
    """The organizer's event with this slug and their role on its team, or 404."""
    if not isinstance(organizer, Organizer):
        abort(404)  # a guest's session never reaches organizer data
    found = db.session.execute(
        select(Event, Membership.role)
        .join(Membership, Membership.association_id == Event.association_id)
        .where(Event.slug == slug, Membership.organizer_id == organizer.id)
    ).first()
    if found is None:
        abort(404)
    return found.Event, found.role


def _where_to_create(organizer: Organizer, association: Association | None) -> Association:
    """The association to create an event in: the one named, if they run events there."""
    allowed = teams.where_they_run_events(organizer)
    if association is None and allowed:
        return min(allowed, key=lambda a: a.id)  # their first: the personal one
    if association is None or association.id not in {a.id for a in allowed}:
        abort(403)
    return association


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
