"""In the room: who to meet here and what two attendees share, from the matching engine.

Building a Matcher reads and indexes every attendee of an event (about 0.6 s for 4,000 people),
too slow for a request. So each process keeps one Matcher per event. When the guest list
changes (a cheap count and max-id query per request) the next request builds a new one, so a
walk-in is matchable at once. Otherwise, once the Matcher is CACHE_SECONDS old, requests go on
using it while one background thread builds its successor: profile edits reach reasons and chips
within about CACHE_SECONDS, and no request (a door scan on the same worker, say) waits behind a
rebuild (docs/benchmarks.md, the door rush). Who may be suggested (checked in, findable, not yet
on my cards) is read fresh on every request, so a check-in or an unticked "findable" counts at
once. The cache hangs on the app, so each app (and each test's app) has its own; fresh=True
builds a new one now.
"""

import threading
import time
from dataclasses import dataclass

from flask import current_app, g, has_request_context
from sqlalchemy import func, select

from ..extensions import db
from ..matching import engine
from ..models import Attendee, Card
from . import cards

CACHE_SECONDS = 30
_building = threading.Lock()  # one build at a time, so a busy moment does not build ten


@dataclass
class _Cached:
    matcher: engine.Matcher
    version: tuple
    built_at: float


def suggestions(me: Attendee, limit: int = 5, fresh: bool = False) -> list[dict]:
    """Up to `limit` checked-in, findable people I have not recorded, each with its reasons."""
    found = matcher(me.event_id, fresh).suggest(
        me.id, exclude=_recorded_by(me), candidates=_in_the_room(me), limit=limit
    )
    people = _people([s.id for s in found])
    return [
        cards.public_fields(people[s.id]) | {"reasons": list(s.reasons)}
        for s in found
        if s.id in people
    ]


def shared(me: Attendee, other: Attendee, fresh: bool = False) -> list[str]:
    """Chips of what we share, in words; none when their profile is private (not findable)."""
    if other.id == me.id or other.event_id != me.event_id or not other.consent_findable:
        return []
    return matcher(me.event_id, fresh).shared(me.id, other.id)


def matcher(event_id: int, fresh: bool = False) -> engine.Matcher:
    """The event's Matcher: this process's while the guest list is unchanged, refreshed behind."""
    cache = current_app.extensions.setdefault("room_matchers", {})
    version = _version(event_id)
    cached = cache.get(event_id)
    if fresh or cached is None or cached.version != version:
        with _building:
            cached = cache.get(event_id)
            if fresh or cached is None or cached.version != version:
                cached = cache[event_id] = _build(event_id, version)
    elif time.monotonic() - cached.built_at >= CACHE_SECONDS:
        _refresh_behind(current_app._get_current_object(), event_id, version)
    return cached.matcher


def clear() -> None:
    """Forget this app's cached Matchers (the next request builds afresh)."""
    settle()
    current_app.extensions.pop("room_matchers", None)


def settle(timeout: float = 30) -> None:
    """Wait for this app's background rebuilds to finish."""
    for thread in list(current_app.extensions.get("room_refreshes", {}).values()):
        thread.join(timeout)


def _build(event_id: int, version: tuple) -> _Cached:
    return _Cached(engine.Matcher(engine.load_profiles(event_id)), version, time.monotonic())


def _refresh_behind(app, event_id: int, version: tuple) -> None:
    """Start one thread that builds the event's next Matcher, unless one is at it already."""
    running = app.extensions.setdefault("room_refreshes", {})
    if not _building.acquire(blocking=False):
        return
    try:
        if event_id in running and running[event_id].is_alive():
            return
        thread = threading.Thread(
            target=_refresh, args=(app, event_id, version), name="room-matcher", daemon=True
        )
        running[event_id] = thread
        thread.start()
    finally:
        _building.release()


def _refresh(app, event_id: int, version: tuple) -> None:
    """Build in the background (its own app context and session), then swap it in."""
    with app.app_context():
        built = _build(event_id, version)
    with _building:
        cache = app.extensions.setdefault("room_matchers", {})
        current = cache.get(event_id)
        if current is None or current.version == version:
            cache[event_id] = built


def _version(event_id: int) -> tuple:
    """A cheap fingerprint of the event's guest list: changes when people are added or removed.

    Asked once per request (a list of cards asks for many chips)."""
    seen = g.setdefault("room_versions", {}) if has_request_context() else {}
    if event_id not in seen:
        query = select(func.count(Attendee.id), func.max(Attendee.id))
        seen[event_id] = tuple(db.session.execute(query.where(Attendee.event_id == event_id)).one())
    return seen[event_id]


def _in_the_room(me: Attendee) -> list[int]:
    """Everyone else at my event who is checked in and chose to be findable."""
    return list(
        db.session.scalars(
            select(Attendee.id).where(
                Attendee.event_id == me.event_id,
                Attendee.consent_findable.is_(True),
                Attendee.checked_in_at.is_not(None),
                Attendee.id != me.id,
            )
        )
    )


def _recorded_by(me: Attendee) -> set[int]:
    """The people already on my cards."""
    return set(db.session.scalars(select(Card.subject_id).where(Card.author_id == me.id)))


def _people(ids: list[int]) -> dict[int, Attendee]:
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Attendee).where(Attendee.id.in_(ids)))}
