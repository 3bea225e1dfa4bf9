"""Door passes as the JSON API checks them: a snapshot per token, cached for a second.

A door phone sends its pass with every scan. Looking it up (and its event's slug) once a second
per process instead of on every request saves a query per check-in; the price is that revoking a
pass reaches the API up to PASS_CACHE_SECONDS late. Expiry is checked on every request.
"""

import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, select

from ..events import tickets
from ..extensions import db
from ..models import DoorPass, Event, utcnow

PASS_CACHE_SECONDS = 1.0  # a revoked pass keeps working on the API for at most this long
PASS_CACHE_SIZE = 1000  # forget everything when this many tokens were seen (bad ones included)

passes = DoorPass.__table__
events = Event.__table__


@dataclass(frozen=True)
class OpenPass:
    """What the API needs of a door pass: a snapshot, safe to keep across requests."""

    id: int
    event_id: int
    name: str
    event_slug: str
    expires_at: datetime


_PASS = (
    select(
        passes.c.id,
        passes.c.event_id,
        passes.c.name,
        events.c.slug.label("event_slug"),
        passes.c.expires_at,
    )
    .join(events, events.c.id == passes.c.event_id)
    .where(passes.c.token_hash == bindparam("token_hash"), passes.c.revoked_at.is_(None))
)


def open_pass(token: str | None) -> OpenPass | None:
    """The live pass a token opens, looked up at most once a second per process.

    Expiry is checked on every call; a revocation reaches the API within PASS_CACHE_SECONDS.
    """
    if not token or len(token) > 200:
        return None
    cache = current_app.extensions.setdefault("door_pass_cache", {})
    key, clock = tickets.digest(token), time.monotonic()
    hit = cache.get(key)
    if hit is None or clock - hit[0] > PASS_CACHE_SECONDS:
        with db.engine.connect() as connection:
            row = connection.execute(_PASS, {"token_hash": key}).first()
        hit = (clock, OpenPass(**row._mapping) if row else None)
        if len(cache) >= PASS_CACHE_SIZE:
            cache.clear()
        cache[key] = hit
    found = hit[1]
    return found if found is not None and found.expires_at > utcnow() else None
