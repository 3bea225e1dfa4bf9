"""When a door scan happened: the phone's clock, as far as the server can trust it.

A phone that lost its connection decides by itself and sends each scan later, with the time it
was made (`scanned_at`). Phone clocks drift, so that time is taken within bounds:

- more than SKEW ahead of the server: refused by the API (422). That phone's clock is wrong, so
  every time it sends is suspect; it should be set right rather than guessed at.
- up to SKEW ahead: drift. The scan counts as made when it arrived (it cannot be later).
- before the event's first door pass existed (less SKEW of drift): impossible, the phone's clock
  is behind. The scan counts as made when it arrived. It is kept, never refused: the guest was
  at the door, and a phone that has nothing better to send must not lose the scan. (The first
  pass, not the one that sends it: a volunteer whose pass expired sends the scans it kept with
  the new pass they were given, and those scans keep their real times.)
- anything else is taken as sent, however long ago: a phone that was offline for hours still says
  truly when each guest came in, and the earliest scan of a guest is their admission.
"""

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection

from ..models import DoorPass

SKEW = timedelta(minutes=5)

_BORN = select(func.min(DoorPass.__table__.c.created_at)).where(
    DoorPass.__table__.c.event_id == bindparam("event_id")
)


def too_far_ahead(scanned_at: datetime | None, now: datetime) -> bool:
    """True when a phone says it scanned more than SKEW after the server's now."""
    return scanned_at is not None and scanned_at > now + SKEW


def effective(connection: Connection, event_id: int, scanned_at: datetime | None, now) -> datetime:
    """The moment a scan counts as made: the phone's time when plausible, else its arrival."""
    if scanned_at is None or scanned_at >= now:
        return now
    if now - scanned_at <= SKEW:  # recent enough that no door pass can postdate it
        return scanned_at
    born = connection.execute(_BORN, {"event_id": event_id}).scalar()
    return scanned_at if born is None or scanned_at >= born - SKEW else now
