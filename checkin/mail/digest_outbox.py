"""Digests and introductions: each guest's next-morning digest, and the introductions of
people who both asked to meet, queued once and sent once.

One outbox row per (event, guest, kind), kept unique by the database, so queueing twice
queues once. The outbox (checkin/mail/outbox.py) claims, records, retries, suppresses and recovers
them; here: who is queued and when, the sending run of an event, and the status page's
counts, rows and retries. Ticket and reminder rows share the table and are left to
ticket_mail and reminders.
"""

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from email.headerregistry import Address

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from ..database import writing
from ..digest import content, schedule
from ..extensions import db
from ..models import Event, Guest, Outbox, utcnow
from . import messages, outbox, transport
from .digest_sending import DigestMail
from .outbox import DIGEST, MATCH, STATUSES, due

# The digests' and introductions' rows (tickets and reminders have modules of their own).
DIGESTS = or_(Outbox.kind == DIGEST, Outbox.kind.startswith(MATCH))


@dataclass
class Counts:
    """What one sending run did: how many rows it sent, skipped, failed, queued again for a
    later try, and found left uncertain by a stopped worker."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retrying: int = 0
    uncertain: int = 0

    def add(self, status: str | None) -> None:
        """Count one row's new status (None: another worker had it)."""
        if status in ("sent", "failed", "skipped", "retrying", "uncertain"):
            setattr(self, status, getattr(self, status) + 1)

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def line(self) -> str:
        """The one-line summary the command prints."""
        return (
            f"Digests: {self.sent} sent, {self.skipped} skipped, {self.failed} failed, "
            f"{self.retrying} retrying, {self.uncertain} uncertain"
        )


def queue_digests(event: Event, now: datetime | None = None) -> int:
    """A digest row for every guest of the event (those queued before are left alone), and
    the event marked queued; returns how many rows were made. Who may receive one is decided
    when it is sent."""
    now = now or utcnow()
    guests = select(Guest.event_id, Guest.id, Guest.email).where(
        Guest.event_id == event.id,
        Guest.cancelled_at.is_(None),  # gave their place back
    )
    guests = guests.order_by(Guest.id)  # rows (and sending) in guest-list order
    with writing():
        made = outbox.fill(DIGEST, guests, now)
        db.session.execute(
            update(Event)
            .where(Event.id == event.id, Event.digest_queued_at.is_(None))
            .values(digest_queued_at=now)
        )
    return made


def queue_introduction(event: Event, reader: Guest, other: Guest) -> bool:
    """Queue the email introducing other to reader (double opt-in); False if queued before."""
    row = {
        "event_id": event.id,
        "attendee_id": reader.id,
        "kind": f"{MATCH}{other.id}",
        "recipient": reader.email or "",
        "status": "queued",
        "queued_at": utcnow(),
    }
    with writing():
        made = db.session.scalar(
            outbox.insert()
            .values(**row)
            .on_conflict_do_nothing(index_elements=outbox.KEY)
            .returning(Outbox.id)
        )
    return made is not None


def send_queued(event_id: int, now: datetime | None = None) -> Counts:
    """Send the event's due queued rows, one by one, over one connection.

    now: the clock deciding which rows are due and when a retry is (tests move it); the
    claim and sent times recorded are the real ones.
    """
    now, counts = now or utcnow(), Counts()
    event = db.session.get(Event, event_id)
    rows = _due_rows(event_id, now) if event else []
    if not rows:
        return counts
    builder = content.Builder(event) if any(kind == DIGEST for _, kind in rows) else None
    with outbox.Sender(event.slug, now, DigestMail(event, builder)) as sender:
        for row_id, _kind in rows:
            counts.add(sender.send(row_id))
    return counts


def send_due(now: datetime | None = None, event: Event | None = None) -> Counts:
    """Queue the digests whose time has come, then send every due row (of one event, or all)."""
    now = now or utcnow()
    for coming in [event] if event else _coming_due(now):
        if schedule.is_due(coming, now):
            queue_digests(coming, now)
    total = Counts()
    for event_id in [event.id] if event else due_events(now):
        total += send_queued(event_id, now)
    return total


def send_now(event: Event, now: datetime | None = None) -> Counts:
    """Queue the event's digests whatever the time (once), and send what is due."""
    now = now or utcnow()
    queue_digests(event, now)
    return send_queued(event.id, now)


def send_test(event: Event, guest: Guest, to: str) -> transport.Outcome:
    """Send the guest's digest to `to` (the organizer) marked as a test, without the
    guest's private notes; no outbox row."""
    if guest.event_id != event.id:
        raise ValueError("That guest is not on this event's guest list.")
    built = content.Builder(event).build(guest)
    if built is None:
        return transport.Outcome(to, False, f"{guest.name} has nothing to read yet.")
    test_copy = content.without_notes(built)  # private notes are for their author only
    message = messages.digest(test_copy, to=Address(addr_spec=to.strip()), test=True)
    with transport.Mailer(event.slug) as mailer:
        return mailer.send(message)


def retry(event: Event, outbox_id: int, force: bool = False) -> bool:
    """Queue a failed or skipped row again (an uncertain one only with force); True if queued.

    With force, an address the server refused before is also taken off the suppression list,
    for an organizer who knows it works again.
    """
    allowed = ("failed", "skipped", "uncertain") if force else ("failed", "skipped")
    with writing():
        recipient = db.session.scalar(
            update(Outbox)
            .where(Outbox.id == outbox_id, Outbox.event_id == event.id, DIGESTS)
            .where(Outbox.status.in_(allowed))
            .values(status="queued", reason="", attempts=0, next_attempt_at=None, claimed_at=None)
            .returning(Outbox.recipient)
        )
        if recipient is not None and force:
            outbox.lift(recipient)
    return recipient is not None


def counts(event: Event) -> dict[str, int]:
    """How many of the event's rows are in each status (every status present)."""
    found = db.session.execute(
        select(Outbox.status, func.count())
        .where(Outbox.event_id == event.id, DIGESTS)
        .group_by(Outbox.status)
    ).all()
    return dict.fromkeys(STATUSES, 0) | dict(found)


def rows(event: Event, status: str | None = None, limit=200, offset=0) -> list[Outbox]:
    """The event's rows (of one status), by guest name, with their guests loaded."""
    query = (
        select(Outbox)
        .join(Guest, Guest.id == Outbox.attendee_id)
        .where(Outbox.event_id == event.id, DIGESTS)
        .options(selectinload(Outbox.guest))
        .order_by(Guest.name, Guest.id, Outbox.kind)
        .limit(limit)
        .offset(offset)
    )
    if status is not None:
        query = query.where(Outbox.status == status)
    return list(db.session.scalars(query))


def due_events(now: datetime | None = None) -> list[int]:
    """The events with rows waiting to be sent now."""
    query = select(Outbox.event_id).where(DIGESTS, Outbox.status == "queued", due(now or utcnow()))
    return list(db.session.scalars(query.distinct().order_by(Outbox.event_id)))


def _due_rows(event_id: int, now: datetime) -> list[tuple[int, str]]:
    """(id, kind) of the event's queued rows whose time has come, oldest first."""
    query = select(Outbox.id, Outbox.kind).where(
        DIGESTS, Outbox.event_id == event_id, Outbox.status == "queued", due(now)
    )
    return list(db.session.execute(query.order_by(Outbox.id)).tuples())


def _coming_due(now: datetime) -> list[Event]:
    """Events not yet queued whose digest time may have come (schedule.is_due decides)."""
    window = now - schedule.LATE
    chosen = and_(Event.digest_at.is_not(None), Event.digest_at.between(window, now))
    default = and_(
        Event.digest_at.is_(None), Event.ends_at.between(window - timedelta(days=2), now)
    )
    query = select(Event).where(Event.digest_queued_at.is_(None), or_(chosen, default))
    return list(db.session.scalars(query))
