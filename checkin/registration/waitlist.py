"""The waitlist: offering freed places in order, accepting an offer, and lapsing overdue ones.

When a place frees (a guest cancels, an offer lapses or is refused, the capacity goes up), the
first waitlisted registration (by confirmed_at, then id) is offered it: status "offered", which
holds the place (places.taken counts it) until offer_expires_at, now + the event's offer_hours
but never after the event starts. Its email carries a link whose token is derived from the
registration and the offer's time under SECRET_KEY, so the worker can write the same link again
and only its hash is kept. Every decision runs in one write transaction with the event's row
locked (places.lock), so two workers lapsing, or a cancel racing an accept, never offer one
place twice; emails go after the commit, through the queue (tasks.send_offer).
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..database import writing
from ..events import tickets
from ..extensions import db
from ..mail import ticket_mail
from ..models import Event, Registration, utcnow
from . import places


def offer_next(event: Event, now: datetime) -> list[int]:
    """Offer the event's free places to the waitlist in order, inside writing(); returns the
    ids of the registrations offered, whose emails the caller sends after the commit."""
    places.lock(event)
    if now >= event.starts_at:
        return []  # too late to offer: the event has begun
    free = places.left(event)
    waiting = (
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == "waitlisted")
        .order_by(Registration.confirmed_at, Registration.id)
    )
    if free is not None:
        waiting = waiting.limit(free)
    offered = []
    for registration in db.session.scalars(waiting):
        _offer(registration, event, now)
        offered.append(registration.id)
    return offered


def _offer(registration: Registration, event: Event, now: datetime) -> None:
    now = now.replace(microsecond=0)  # the link is derived from it: whole seconds survive storage
    registration.status, registration.offered_at = "offered", now
    registration.offer_expires_at = min(now + timedelta(hours=event.offer_hours), event.starts_at)
    registration.token_hash = tickets.digest(offer_token(registration))


def offer_token(registration: Registration) -> str:
    """The secret in an offer's accept link: only the server (with SECRET_KEY) can make it."""
    moment = int(registration.offered_at.timestamp())
    return tickets.derive("offer", f"{registration.id}:{moment}")


def accept_url(registration: Registration) -> str:
    """The link in the offer email (GET shows the offer, POST accepts it)."""
    base = current_app.config["BASE_URL"]
    return f"{base}/e/{registration.event.slug}/offer/{offer_token(registration)}"


def by_token(slug: str, token: str) -> Registration | None:
    """The registration whose last emailed link carries this token, at this event."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(Registration)
        .join(Event)
        .where(Event.slug == slug, Registration.token_hash == tickets.digest(token))
    )


def accept(registration: Registration, now: datetime | None = None) -> str:
    """Take an offered place: "accepted" (also when accepted before), "late" (the offer had
    ended; it moves on to the next) or "gone" (the registration no longer waits for one)."""
    now = now or utcnow()
    with writing():
        places.lock(registration.event)
        db.session.refresh(registration)
        outcome, offered = _decide(registration, now)
    if outcome == "accepted":
        send_ticket(registration)  # once: the batch is the registration's, and sent stays sent
    send_offers(offered)
    return outcome


def _decide(registration: Registration, now: datetime) -> tuple[str, list[int]]:
    if registration.status == "guest":
        return "accepted", []
    if registration.status == "offered" and now < registration.offer_expires_at:
        places.admit(registration, now)
        return "accepted", []
    if registration.status == "offered":
        registration.status, registration.decided_at = "lapsed", now
        return "late", offer_next(registration.event, now)
    return ("late" if registration.status == "lapsed" else "gone"), []


def lapse_due(now: datetime | None = None) -> int:
    """Lapse every overdue offer and offer free places on; returns how many lapsed. Safe to
    run twice at once: each event is decided with its row locked, and lapsed rows are not seen
    again. Events whose waitlist waits for a free place are looked at too (a sweep)."""
    now = now or utcnow()
    event_ids = db.session.scalars(
        select(Registration.event_id)
        .join(Event)
        .where(_overdue(now) | ((Registration.status == "waitlisted") & (Event.starts_at > now)))
        .distinct()
    ).all()
    lapsed = 0
    for event_id in event_ids:
        with writing():
            event = db.session.get(Event, event_id)
            places.lock(event)
            overdue = db.session.scalars(
                select(Registration).where(Registration.event_id == event_id, _overdue(now))
            ).all()
            for registration in overdue:
                registration.status, registration.decided_at = "lapsed", now
            lapsed += len(overdue)
            offered = offer_next(event, now)
        send_offers(offered)
    return lapsed


def _overdue(now: datetime):
    """Offers whose time to accept is up at `now`."""
    return (Registration.status == "offered") & (Registration.offer_expires_at <= now)


def free_places(event: Event, now: datetime | None = None) -> list[int]:
    """Offer whatever places are free now (say, after the capacity went up), and email them."""
    with writing():
        offered = offer_next(event, now or utcnow())
    send_offers(offered)
    return offered


def send_offers(registration_ids: list[int]) -> None:
    """Queue each offer's email (after the commit that made the offers)."""
    from .. import tasks

    for registration_id in registration_ids:
        tasks.send_offer(registration_id)


def send_ticket(registration: Registration) -> None:
    """Queue and send the new guest's ticket email, once (the batch names the registration)."""
    from .. import tasks

    event, batch = registration.event, places.ticket_batch(registration)
    again = places.stale_ticket_email(registration)
    queued = ticket_mail.queue(event, [registration.attendee_id], again=again, batch=batch)
    if queued:
        tasks.send_tickets(event.id, queued)
