"""The day-before reminder: "Tomorrow: <event>", with the QR, the personal link, when and where.

When: REMINDER_HOUR (9:00) in the event's own zone on the calendar day before the event's local
start date, built as a wall-clock time with zoneinfo and converted to UTC, so it stays 9:00 across
a daylight-saving change. The periodic task (tasks.send_reminders, every minute) queues rows from
then until the event's day begins (local midnight): a guest added meanwhile is queued by the next
run; after midnight "Tomorrow" would be wrong, so nothing more is queued, and a row still waiting
(a mail server that kept putting it off) is skipped with why.

To whom: one outbox row of kind "reminder" per guest with an address who has not cancelled,
queued once (the outbox's unique key: a second run queues nothing). Who may receive it is decided
again when it is sent: a guest who cancelled since, or unsubscribed (here or at another of the
organizer's events, as for digests), or whose address bounced, is "skipped" with the reason. The
outbox claims, records, retries and recovers the rows (its "reminder" policy). The organizer can
turn the reminder off per event (Event.reminder_enabled).
"""

from datetime import UTC, datetime, time, timedelta
from email.utils import make_msgid
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ..accounts import personal_links
from ..database import writing
from ..events import events, tickets
from ..extensions import db
from ..models import Event, Guest, Outbox, utcnow
from . import links, messages, outbox, subscriptions, ticket_mail, transport
from .digest_outbox import Counts
from .outbox import REMINDER, STATUSES, due

REMINDER_HOUR = time(9, 0)
REMINDERS = Outbox.kind == REMINDER
CANCELLED = "Not sent: the guest cancelled (“I can't come after all”)."
UNSUBSCRIBED = "Not sent: the guest unsubscribed from the event's emails."
TOO_LATE = "Not sent: the event's day had begun, so “tomorrow” would be wrong."
GONE = "The guest is no longer on the guest list."


def reminder_time(event: Event) -> datetime:
    """9:00 local on the day before the event's local start date, as an aware UTC datetime."""
    zone = ZoneInfo(event.timezone or "UTC")
    day_before = event.starts_at.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day_before, REMINDER_HOUR, tzinfo=zone).astimezone(UTC)


def event_day_begins(event: Event) -> datetime:
    """Local midnight at the start of the event's day, in UTC: after it, no more reminders."""
    zone = ZoneInfo(event.timezone or "UTC")
    day = event.starts_at.astimezone(zone).date()
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def is_due(event: Event, now: datetime) -> bool:
    """True while reminders of this event may be queued: on, its time come, its day not begun."""
    if not event.reminder_enabled or event.purged_at is not None:
        return False
    return reminder_time(event) <= now < event_day_begins(event)


def queue(event: Event, now: datetime | None = None) -> int:
    """A reminder row for every guest with an address who has not cancelled (those queued
    before are left alone); returns how many rows were made."""
    now = now or utcnow()
    guests = (
        select(Guest.event_id, Guest.id, Guest.email)
        .where(Guest.event_id == event.id, Guest.email != "", Guest.cancelled_at.is_(None))
        .order_by(Guest.id)
    )
    with writing():
        return outbox.fill(REMINDER, guests, now)


def send_queued(event_id: int, now: datetime | None = None) -> Counts:
    """Send the event's due reminder rows over one connection; what became of them."""
    now, counts = now or utcnow(), Counts()
    event = db.session.get(Event, event_id)
    rows = _due_rows(event_id, now) if event else []
    if not rows:
        return counts
    people = {p.id: p for p in db.session.scalars(select(Guest).where(Guest.id.in_(rows)))}
    login_urls = {
        i: personal_links.url_of(link) for i, link in personal_links.ensure_all(event_id).items()
    }
    compose = ReminderMail(event, now, ticket_mail.codes_of(people), login_urls)
    with outbox.Sender(event.slug, now, compose) as sender:
        for row_id in rows.values():
            counts.add(sender.send(row_id))
    return counts


def send_due(now: datetime | None = None) -> Counts:
    """Queue the reminders whose time has come, then send every due reminder row."""
    now = now or utcnow()
    for coming in _coming(now):
        if is_due(coming, now):
            queue(coming, now)
    total = Counts()
    for event_id in due_events(now):
        total += send_queued(event_id, now)
    return total


def due_events(now: datetime | None = None) -> list[int]:
    """The events with reminder rows waiting to be sent now."""
    query = select(Outbox.event_id).where(
        REMINDERS, Outbox.status == "queued", due(now or utcnow())
    )
    return list(db.session.scalars(query.distinct().order_by(Outbox.event_id)))


def counts(event: Event) -> dict[str, int]:
    """How many of the event's reminder rows are in each status (every status present)."""
    found = db.session.execute(
        select(Outbox.status, func.count())
        .where(Outbox.event_id == event.id, REMINDERS)
        .group_by(Outbox.status)
    ).all()
    return dict.fromkeys(STATUSES, 0) | dict(found)


def set_enabled(event: Event, enabled: bool) -> None:
    """Turn the event's day-before reminder on or off."""
    with writing():
        event.reminder_enabled = enabled


class ReminderMail:
    """compose() for the outbox's Sender: each guest's reminder, or why it does not go."""

    def __init__(self, event: Event, now: datetime, codes: dict, login_urls: dict) -> None:
        self.event, self.now, self.codes, self.login_urls = event, now, codes, login_urls

    def __call__(self, reader: Guest | None, kind: str, suppressed: bool):
        """(message, "") to send, or (None, why not) to skip."""
        if reader is None or reader.event_id != self.event.id or reader.id not in self.login_urls:
            return None, GONE
        if reader.cancelled_at is not None:
            return None, CANCELLED
        if subscriptions.is_unsubscribed(reader):
            return None, UNSUBSCRIBED
        if self.now >= event_day_begins(self.event):
            return None, TOO_LATE
        try:
            return message(reader, self.codes[reader.id], self.login_urls[reader.id]), ""
        except ValueError as error:  # an unusable address is this email's own failure
            raise outbox.Unsendable(str(error)) from error


def message(guest: Guest, code: str, login_url: str):
    """The reminder email: text and HTML, the QR inline, List-Unsubscribe headers."""
    event = guest.event
    ticket_url = tickets.ticket_url(code)
    qr_cid = make_msgid(domain="checkin.qr")
    context = {
        "guest": guest,
        "event": event,
        "when": events.when(event.starts_at, event),
        "code": code,
        "login_url": login_url,
        "unsubscribe_url": links.unsubscribe_url(guest),
        "qr_cid": qr_cid[1:-1],
    }
    mail = transport.new_message(messages.recipient(guest), f"Tomorrow: {event.name}")
    messages.list_unsubscribe(mail, context["unsubscribe_url"])
    messages.write(mail, "reminder", **context)
    mail.get_payload()[1].add_related(
        messages.qr_png(ticket_url),
        maintype="image",
        subtype="png",
        cid=qr_cid,
        filename="ticket-qr.png",
        disposition="inline",
    )
    return mail


def _due_rows(event_id: int, now: datetime) -> dict[int, int]:
    """{guest id: row id} of the event's queued reminder rows whose time has come."""
    query = select(Outbox.attendee_id, Outbox.id).where(
        REMINDERS, Outbox.event_id == event_id, Outbox.status == "queued", due(now)
    )
    return {guest_id: row_id for guest_id, row_id in db.session.execute(query.order_by(Outbox.id))}


def _coming(now: datetime) -> list[Event]:
    """Events starting within the next three days with the reminder on (is_due decides)."""
    query = select(Event).where(
        Event.reminder_enabled.is_(True),
        Event.purged_at.is_(None),
        Event.starts_at.between(now, now + timedelta(days=3)),
    )
    return list(db.session.scalars(query))
