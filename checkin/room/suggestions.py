"""In the room: who to meet here and what two guests share, from the matching engine.

Building a Matcher reads and indexes every guest of an event (hundreds of milliseconds for
5,000 people), too slow for every request. So each process keeps one Matcher per event for
CACHE_SECONDS, dropped sooner when the event gains or loses guests (a cheap count and
max-id query per request). Profile edits therefore reach reasons and chips within
CACHE_SECONDS. Who may be suggested (checked in, findable, not yet on my cards) is read fresh on
every request, so a check-in or an unticked "findable" counts at once. The cache hangs on the
app, so each app (and each test's app) has its own; fresh=True builds a new one now.
"""

import threading
import time
from dataclasses import dataclass
from functools import partial

from flask import current_app, g, has_request_context
from sqlalchemy import func, select

from ..extensions import db
from ..matching import engine
from ..members import met_before
from ..models import Card, Guest
from . import cards

CACHE_SECONDS = 30
_building = threading.Lock()  # one build at a time, so a busy moment does not build ten


@dataclass
class _Cached:
    matcher: engine.Matcher
    version: tuple
    built_at: float


def suggestions(me: Guest, limit: int = 5, fresh: bool = False) -> list[dict]:
    """Up to `limit` checked-in, findable people I have not recorded, each with its reasons;
    people I met at the association's earlier events (both remembered) come last."""
    met = met_before.of(me)
    suggest = partial(matcher(me.event_id, fresh).suggest, me.id, candidates=_in_the_room(me))
    found = met_before.not_met_first(suggest, _recorded_by(me), met, limit)
    people = _people([s.id for s in found])
    return [
        cards.public_fields(people[s.id]) | {"reasons": met_before.reasons(met, s.id, s.reasons)}
        for s in found
        if s.id in people
    ]


def shared(me: Guest, other: Guest, fresh: bool = False) -> list[str]:
    """Chips of what we share, in words; none when their profile is private (not findable)."""
    if other.id == me.id or other.event_id != me.event_id or not other.consent_findable:
        return []
    return matcher(me.event_id, fresh).shared(me.id, other.id)


def matcher(event_id: int, fresh: bool = False) -> engine.Matcher:
    """The event's Matcher, from this process's cache while it is young and current."""
    cache = current_app.extensions.setdefault("room_matchers", {})
    version = _version(event_id)
    cached = cache.get(event_id)
    if not fresh and _usable(cached, version):
        return cached.matcher
    with _building:
        cached = cache.get(event_id)
        if fresh or not _usable(cached, version):
            profiles = engine.load_profiles(event_id)
            cached = _Cached(engine.Matcher(profiles), version, time.monotonic())
            cache[event_id] = cached
    return cached.matcher


def clear() -> None:
    """Forget this app's cached Matchers (the next request builds afresh)."""
    current_app.extensions.pop("room_matchers", None)


def _usable(cached: _Cached | None, version: tuple) -> bool:
    if cached is None or cached.version != version:
        return False
    return time.monotonic() - cached.built_at < CACHE_SECONDS


def _version(event_id: int) -> tuple:
    """A cheap fingerprint of the event's guest list: changes when people are added or removed.

    Asked once per request (a list of cards asks for many chips)."""
    seen = g.setdefault("room_versions", {}) if has_request_context() else {}
    if event_id not in seen:
        query = select(func.count(Guest.id), func.max(Guest.id))
        seen[event_id] = tuple(db.session.execute(query.where(Guest.event_id == event_id)).one())
    return seen[event_id]


def _in_the_room(me: Guest) -> list[int]:
    """Everyone else at my event who is checked in and chose to be findable."""
    return list(
        db.session.scalars(
            select(Guest.id).where(
                Guest.event_id == me.event_id,
                Guest.consent_findable.is_(True),
                Guest.checked_in_at.is_not(None),
                Guest.id != me.id,
            )
        )
    )


def _recorded_by(me: Guest) -> set[int]:
    """The people already on my cards."""
    return set(db.session.scalars(select(Card.subject_id).where(Card.author_id == me.id)))


def _people(ids: list[int]) -> dict[int, Guest]:
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Guest).where(Guest.id.in_(ids)))}
