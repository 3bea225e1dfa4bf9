"""Ticket emails: queue them once per press of "Send tickets", send a batch, keep the count.

Each email is an outbox row of kind "ticket" (checkin/mail/outbox.py claims, records and recovers
it, and says why a ticket a stopped worker left half-sent goes out again). Here: who is
queued, what the email says, and what the organizer sees.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select

from ..accounts import personal_links
from ..database import writing
from ..events import tickets
from ..extensions import db
from ..models import Event, Guest, Outbox, Ticket, utcnow
from . import messages, outbox, transport

WAITING = ("queued", "sending")
NOT_SENT = ("failed", "skipped")
FRESH = timedelta(minutes=1)  # a queued row younger than this is its own task's to send
TICKETS = Outbox.kind == outbox.TICKET


@dataclass(frozen=True)
class Summary:
    """What the organizer sees: "sent N of M", and how many wait, failed or were skipped."""

    total: int  # guests with an email address
    sent: int
    waiting: int  # queued or sending, "later" among them
    failed: int
    skipped: int = 0  # the address bounced earlier
    later: int = 0  # queued again for a time to come: the mail server asked to wait


def queue(event: Event, guest_ids: list[int] | None, again: bool, batch: str) -> list[int] | None:
    """Queue ticket emails; returns the guest ids queued, or None for a batch seen before.

    guest_ids None means everyone with an email. Guests whose email is already waiting
    are skipped, and so are those already sent one unless `again`. A batch token (the form's
    nonce) seen before queues nothing, so a double-submitted form sends once.
    """
    with writing():
        # One queuer per event at a time (PostgreSQL; SQLite writers already take turns).
        db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())
        if batch and _batch_seen(event.id, batch):
            return None
        batch = batch or uuid.uuid4().hex  # no form behind it: a press of its own
        found = db.session.execute(_unqueued(event.id, guest_ids, again)).all()
        rows = [
            {
                "event_id": event.id,
                "attendee_id": attendee_id,
                "kind": outbox.TICKET,
                "recipient": email,
                "batch": batch,
                "status": "queued",
                "reason": "",
                "queued_at": utcnow(),
            }
            for attendee_id, email in found
        ]
        if rows:
            db.session.execute(insert(Outbox.__table__), rows)
    return [attendee_id for attendee_id, _ in found]


def queue_one(event: Event, person: Guest, batch: str) -> list[int] | None:
    """The organizer emails one guest their ticket: their address, if it bounced before, is
    taken off the suppression list (the organizer is asking for it), and the email queued."""
    with writing():
        outbox.lift(person.email)
    return queue(event, [person.id], again=True, batch=batch)


def deliver(
    event_id: int, guest_ids: list[int], now: datetime | None = None
) -> list[transport.Outcome]:
    """Send the due queued ticket emails of these guests over one connection, recording
    each. now: the clock deciding what is due (tests move it)."""
    event = db.session.get(Event, event_id)
    if event is None:
        return []
    now = now or utcnow()
    rows = db.session.execute(
        select(Outbox.id, Outbox.attendee_id)
        .where(TICKETS, Outbox.event_id == event_id, Outbox.attendee_id.in_(guest_ids))
        .where(Outbox.status == "queued", outbox.due(now))
        .order_by(Outbox.attendee_id, Outbox.id)
    ).all()
    if not rows:
        return []
    people = {
        a.id: a for a in db.session.scalars(select(Guest).where(Guest.id.in_({a for _, a in rows})))
    }
    coming = {i: p for i, p in people.items() if p.cancelled_at is None}  # no new tickets
    compose = _Compose(codes_of(coming), personal_links.ensure_all(event_id))
    with outbox.Sender(event.slug, now, compose) as sender:
        for row_id, _ in rows:
            sender.send(row_id)
    return sender.outcomes


def due(now: datetime | None = None) -> dict[int, list[int]]:
    """Guests (by event) whose ticket waits with no task to send it: queued after a
    stopped worker or a busy server, or queued a while ago and never taken."""
    now = now or utcnow()
    waiting = db.session.execute(
        select(Outbox.event_id, Outbox.attendee_id)
        .where(TICKETS, Outbox.status == "queued", outbox.due(now))
        .where(or_(Outbox.claimed_at.is_not(None), Outbox.queued_at < now - FRESH))
        .order_by(Outbox.event_id, Outbox.attendee_id)
    ).all()
    again: dict[int, list[int]] = {}
    for event_id, attendee_id in waiting:
        again.setdefault(event_id, []).append(attendee_id)
    return again


def send_due(now: datetime | None = None) -> None:
    """Send every ticket that waits with no task to send it (see due)."""
    for event_id, guest_ids in due(now).items():
        deliver(event_id, guest_ids, now)


class _Compose:
    """Each row's ticket email, from the batch's codes and personal personal_links."""

    def __init__(self, codes: dict[int, str], link_of: dict) -> None:
        self.codes, self.link_of = codes, link_of

    def __call__(self, person: Guest | None, kind: str, suppressed: bool):
        if person is not None and person.cancelled_at is not None:
            return None, "The guest gave their place back."
        if person is None or person.id not in self.codes:
            return None, "The guest is no longer on the guest list."
        url = personal_links.url_of(self.link_of[person.id])
        try:
            return messages.ticket(person, self.codes[person.id], url), ""
        except ValueError as error:  # an unusable address is this email's own failure
            raise outbox.Unsendable(str(error)) from error


def send_again(email: str, event_id: int | None) -> int:
    """Queue and send the ticket email again to this address (at one event, or any current one)."""
    email = (email or "").strip().lower()
    if not email:
        return 0
    query = select(Guest).join(Event).where(func.lower(Guest.email) == email)
    if event_id is None:
        query = query.where(Event.ends_at > utcnow() - timedelta(days=1))
    else:
        query = query.where(Event.id == event_id)
    sent = 0
    for person in db.session.scalars(query).all():
        if queue(person.event, [person.id], again=True, batch=""):
            sent += sum(o.ok for o in deliver(person.event_id, [person.id]))
    return sent


def summary(event: Event) -> Summary:
    """How many of the event's guests with an email were sent their ticket, wait or failed."""
    total = db.session.scalar(
        select(func.count()).where(Guest.event_id == event.id, Guest.email != "")
    )
    counts = dict(
        db.session.execute(
            select(Outbox.status, func.count())
            .where(Outbox.id.in_(_latest(event.id)))
            .group_by(Outbox.status)
        ).all()
    )
    sent = db.session.scalar(  # of the guests counted in total: those with an address now
        select(func.count(func.distinct(Outbox.attendee_id)))
        .join(Guest, Guest.id == Outbox.attendee_id)
        .where(TICKETS, Outbox.event_id == event.id, Outbox.status == "sent", Guest.email != "")
    )
    waiting = sum(counts.get(s, 0) for s in WAITING)
    failed, skipped = counts.get("failed", 0), counts.get("skipped", 0)
    later = db.session.scalar(
        select(func.count())
        .where(Outbox.id.in_(_latest(event.id)), Outbox.status == "queued")
        .where(Outbox.next_attempt_at > utcnow())
    )
    return Summary(total, sent, waiting, failed, skipped, later)


def failures(event: Event, limit: int = 50) -> list[Outbox]:
    """The guests whose latest ticket email failed or was skipped, with why (newest first)."""
    return list(
        db.session.scalars(
            select(Outbox)
            .where(Outbox.id.in_(_latest(event.id)), Outbox.status.in_(NOT_SENT))
            .order_by(Outbox.id.desc())
            .limit(limit)
        )
    )


def latest_of(guest: Guest) -> Outbox | None:
    """The guest's most recent ticket email, whatever became of it."""
    return db.session.scalar(
        select(Outbox)
        .where(TICKETS, Outbox.attendee_id == guest.id)
        .order_by(Outbox.id.desc())
        .limit(1)
    )


def _latest(event_id: int):
    """The id of each guest's most recent ticket email at the event."""
    return (
        select(func.max(Outbox.id))
        .where(TICKETS, Outbox.event_id == event_id)
        .group_by(Outbox.attendee_id)
    )


def _batch_seen(event_id: int, batch: str) -> bool:
    return (
        db.session.scalar(
            select(Outbox.id)
            .where(TICKETS, Outbox.event_id == event_id, Outbox.batch == batch)
            .limit(1)
        )
        is not None
    )


def _unqueued(event_id: int, guest_ids: list[int] | None, again: bool):
    """Guests with an email and nothing waiting (nor sent, unless again)."""
    skip = WAITING if again else (*WAITING, "sent")
    busy = select(Outbox.attendee_id).where(
        TICKETS, Outbox.event_id == event_id, Outbox.status.in_(skip)
    )
    query = select(Guest.id, Guest.email).where(
        Guest.event_id == event_id,
        Guest.email != "",
        Guest.cancelled_at.is_(None),  # gave their place back: no ticket to send
        Guest.id.not_in(busy),
    )
    if guest_ids is not None:
        query = query.where(Guest.id.in_(guest_ids))
    return query.order_by(Guest.id)


def codes_of(people: dict[int, Guest]) -> dict[int, str]:
    """Each guest's ticket code, issuing a ticket to anyone without a working one."""
    working = db.session.scalars(
        select(Ticket).where(Ticket.attendee_id.in_(people), Ticket.revoked_at.is_(None))
    )
    codes = {ticket.attendee_id: tickets.code_of(ticket) for ticket in working}
    missing = [person for attendee_id, person in people.items() if attendee_id not in codes]
    if missing:
        with writing():
            codes |= {p.id: tickets.code_of(tickets.issue(p)) for p in missing}
    return codes
