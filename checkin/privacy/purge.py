"""Deleting an event's personal data, when its retention has passed or its organizer asks.

The counts are kept first (tallies.py); then every row of the event that can name a guest is
deleted, found from the tables themselves: every table with an event_id column except KEPT, so a
table added later is purged too. Deleting the guests cascades to what hangs on them. On SQLite
deleted rows are zeroed (secure_delete) and the write-ahead log emptied after the commit. The mail
files written for the event (no SMTP_URL) go after the commit. The event row stays, with its name
and dates, marked purged. Purging twice changes nothing: the first tally stays.
"""

import shutil
from datetime import datetime

from sqlalchemy import Table, delete, func, select

from ..database import forget_deleted, writing
from ..extensions import db
from ..mail.transport import mail_dir
from ..models import Event, EventTally, Guest, Suppression
from . import retention, tallies

# Tables with an event_id that a purge keeps, and why; every other one is emptied for the event.
KEPT = {
    "events": "the event itself: its name, venue, dates and settings",
    "event_tallies": "the anonymous counts",
}


def purged_tables() -> list[Table]:
    """Every table holding an event's rows except KEPT, those that point at others first."""
    return [
        table
        for table in reversed(db.metadata.sorted_tables)
        if "event_id" in table.c and table.name not in KEPT
    ]


def purge(event: Event, now: datetime) -> EventTally:
    """Keep the event's counts, then delete every row and mail file that names its guests."""
    with writing():
        purged_at = db.session.scalar(
            select(Event.purged_at).where(Event.id == event.id).with_for_update()
        )
        if purged_at is None:
            tallies.keep(event, now)
            event.purged_at = now
        _forget_bounces(event)
        for table in purged_tables():
            db.session.execute(table.delete().where(table.c.event_id == event.id))
    forget_deleted()
    shutil.rmtree(mail_dir(event.slug), ignore_errors=True)
    return tallies.tally_of(event)


def purge_due(now: datetime) -> list[str]:
    """Purge every event whose retention has passed by now; the slugs of those purged."""
    purged = []
    for event in retention.due(now):
        purge(event, now)
        purged.append(event.slug)
    return purged


def _forget_bounces(event: Event) -> None:
    """Drop the bounced addresses of this event's guests that no other event's list holds."""
    here = select(func.lower(Guest.email)).where(Guest.event_id == event.id)
    elsewhere = select(func.lower(Guest.email)).where(Guest.event_id != event.id)
    db.session.execute(
        delete(Suppression).where(Suppression.email.in_(here), Suppression.email.not_in(elsewhere))
    )
