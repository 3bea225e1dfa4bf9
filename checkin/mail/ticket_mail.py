"""Ticket emails: queue them once per press of "Send tickets", send a batch, keep the count.

Each email is a TicketMail row: queued by the organizer's press, claimed by the worker just
before it goes (queued -> sending, a conditional UPDATE, so a task run twice sends once), and
marked sent or failed right after. A worker that dies mid-batch therefore leaves at most one
row "sending" (it may or may not have gone) and the rest "queued": recover() marks the first
failed, so the organizer can resend it, and queues the rest again (see tasks.py).
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, insert, select, update

from ..accounts import personal_links
from ..database import writing
from ..events import tickets
from ..extensions import db
from ..models import Attendee, Event, Ticket, TicketMail, utcnow
from . import messages, transport

WAITING = ("queued", "sending")
STALE = timedelta(minutes=10)  # far longer than one message takes (SMTP timeouts are 30 s)
ABANDONED = (
    "The worker stopped while sending this email, so it may not have gone out. "
    "Send it again from here if the guest has not received it."
)


@dataclass(frozen=True)
class Summary:
    """What the organizer sees: "sent N of M", and how many wait or failed."""

    total: int  # attendees with an email address
    sent: int
    waiting: int
    failed: int


def queue(
    event: Event, attendee_ids: list[int] | None, again: bool, batch: str
) -> list[int] | None:
    """Queue ticket emails; returns the attendee ids queued, or None for a batch seen before.

    attendee_ids None means everyone with an email. Attendees whose email is already waiting
    are skipped, and so are those already sent one unless `again`. A batch token (the form's
    nonce) seen before queues nothing, so a double-submitted form sends once.
    """
    with writing():
        # One queuer per event at a time (PostgreSQL; SQLite writers already take turns).
        db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())
        if batch and _batch_seen(event.id, batch):
            return None
        found = db.session.execute(_unqueued(event.id, attendee_ids, again)).all()
        rows = [
            {
                "event_id": event.id,
                "attendee_id": attendee_id,
                "recipient": email,
                "batch": batch,
                "status": "queued",
                "error": "",
                "queued_at": utcnow(),
            }
            for attendee_id, email in found
        ]
        if rows:
            db.session.execute(insert(TicketMail.__table__), rows)
    return [attendee_id for attendee_id, _ in found]


def deliver(event_id: int, attendee_ids: list[int]) -> list[transport.Outcome]:
    """Send the queued ticket emails of these attendees over one connection, recording each."""
    event = db.session.get(Event, event_id)
    if event is None:
        return []
    people = {
        a.id: a
        for a in db.session.scalars(
            select(Attendee).where(Attendee.id.in_(attendee_ids), Attendee.event_id == event_id)
        )
    }
    codes = _codes(people)
    link_of = personal_links.ensure_all(event_id)
    outcomes = []
    with transport.Mailer(event.slug) as mailer:
        for attendee_id in sorted(people):
            mail_id = _claim(event_id, attendee_id)
            if mail_id is None:
                continue  # sent by a twin task, or not queued
            try:
                outcome = _send_one(mailer, people[attendee_id], codes, link_of)
            except Exception as error:  # a bug in one email fails that email, not the batch
                current_app.logger.exception("Ticket email %s failed", mail_id)
                outcome = transport.Outcome(people[attendee_id].email, False, f"Not sent: {error}")
            _record(mail_id, outcome)
            outcomes.append(outcome)
    return outcomes


def recover(claimed_before=None) -> dict[int, list[int]]:
    """After a worker died: fail its "sending" rows, and return the queued ones to send again.

    claimed_before: rows claimed before this moment are abandoned (a consumer passes its own
    start time); by default, those older than STALE.
    """
    cutoff = claimed_before or utcnow() - STALE
    with writing():
        db.session.execute(
            update(TicketMail)
            .where(TicketMail.status == "sending", TicketMail.claimed_at < cutoff)
            .values(status="failed", error=ABANDONED)
        )
    waiting = db.session.execute(
        select(TicketMail.event_id, TicketMail.attendee_id)
        .where(
            TicketMail.status == "queued", TicketMail.queued_at < utcnow() - timedelta(minutes=1)
        )
        .order_by(TicketMail.event_id, TicketMail.attendee_id)
    ).all()
    again: dict[int, list[int]] = {}
    for event_id, attendee_id in waiting:
        again.setdefault(event_id, []).append(attendee_id)
    return again


def _send_one(
    mailer: transport.Mailer, person: Attendee, codes: dict, link_of: dict
) -> transport.Outcome:
    """Build one attendee's ticket email and send it; an unusable address is its own failure."""
    try:
        message = messages.ticket(
            person, codes[person.id], personal_links.url_of(link_of[person.id])
        )
    except ValueError as error:
        return transport.Outcome(person.email, False, str(error))
    return mailer.send(message)


def send_again(email: str, event_id: int | None) -> int:
    """Queue and send the ticket email again to this address (at one event, or any current one)."""
    email = (email or "").strip().lower()
    if not email:
        return 0
    query = select(Attendee).join(Event).where(func.lower(Attendee.email) == email)
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
    """How many of the event's attendees with an email were sent their ticket, wait or failed."""
    total = db.session.scalar(
        select(func.count()).where(Attendee.event_id == event.id, Attendee.email != "")
    )
    counts = dict(
        db.session.execute(
            select(TicketMail.status, func.count())
            .where(TicketMail.id.in_(_latest(event.id)))
            .group_by(TicketMail.status)
        ).all()
    )
    sent = db.session.scalar(  # of the guests counted in total: those with an address now
        select(func.count(func.distinct(TicketMail.attendee_id)))
        .join(Attendee, Attendee.id == TicketMail.attendee_id)
        .where(TicketMail.event_id == event.id, TicketMail.status == "sent", Attendee.email != "")
    )
    waiting = sum(counts.get(s, 0) for s in WAITING)
    return Summary(total=total, sent=sent, waiting=waiting, failed=counts.get("failed", 0))


def failures(event: Event, limit: int = 50) -> list[TicketMail]:
    """The attendees whose latest ticket email failed, with why (newest first)."""
    return list(
        db.session.scalars(
            select(TicketMail)
            .where(TicketMail.id.in_(_latest(event.id)), TicketMail.status == "failed")
            .order_by(TicketMail.id.desc())
            .limit(limit)
        )
    )


def latest_of(attendee: Attendee) -> TicketMail | None:
    """The attendee's most recent ticket email, whatever became of it."""
    return db.session.scalar(
        select(TicketMail)
        .where(TicketMail.attendee_id == attendee.id)
        .order_by(TicketMail.id.desc())
        .limit(1)
    )


def _latest(event_id: int):
    """The id of each attendee's most recent ticket email at the event."""
    return (
        select(func.max(TicketMail.id))
        .where(TicketMail.event_id == event_id)
        .group_by(TicketMail.attendee_id)
    )


def _batch_seen(event_id: int, batch: str) -> bool:
    return (
        db.session.scalar(
            select(TicketMail.id)
            .where(TicketMail.event_id == event_id, TicketMail.batch == batch)
            .limit(1)
        )
        is not None
    )


def _unqueued(event_id: int, attendee_ids: list[int] | None, again: bool):
    """Attendees with an email and nothing waiting (nor sent, unless again)."""
    skip = WAITING if again else (*WAITING, "sent")
    busy = select(TicketMail.attendee_id).where(
        TicketMail.event_id == event_id, TicketMail.status.in_(skip)
    )
    query = select(Attendee.id, Attendee.email).where(
        Attendee.event_id == event_id, Attendee.email != "", Attendee.id.not_in(busy)
    )
    if attendee_ids is not None:
        query = query.where(Attendee.id.in_(attendee_ids))
    return query.order_by(Attendee.id)


def _claim(event_id: int, attendee_id: int) -> int | None:
    """Take one queued email for sending; its id, or None when there is none to take."""
    with writing():
        return db.session.scalar(
            update(TicketMail)
            .where(
                TicketMail.event_id == event_id,
                TicketMail.attendee_id == attendee_id,
                TicketMail.status == "queued",
            )
            .values(status="sending", claimed_at=utcnow())
            .returning(TicketMail.id)
        )


def _codes(people: dict[int, Attendee]) -> dict[int, str]:
    """Each attendee's ticket code, issuing a ticket to anyone without a working one."""
    working = db.session.scalars(
        select(Ticket).where(Ticket.attendee_id.in_(people), Ticket.revoked_at.is_(None))
    )
    codes = {ticket.attendee_id: tickets.code_of(ticket) for ticket in working}
    missing = [person for attendee_id, person in people.items() if attendee_id not in codes]
    if missing:
        with writing():
            codes |= {p.id: tickets.code_of(tickets.issue(p)) for p in missing}
    return codes


def _record(mail_id: int, outcome: transport.Outcome) -> None:
    """Write what became of one email, as soon as it is known."""
    with writing():
        db.session.execute(
            update(TicketMail)
            .where(TicketMail.id == mail_id)
            .values(
                status="sent" if outcome.ok else "failed",
                error=outcome.error[:2000],
                sent_at=utcnow() if outcome.ok else None,
            )
        )
