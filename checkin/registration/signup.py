"""Signing up: a registration saved unconfirmed, its emailed link confirmed, a place decided.

Double opt-in: the form saves an unconfirmed Registration (nothing on the guest list yet) and the
confirmation email goes out from the worker (confirmation.py); only a POST from the emailed link
confirms it, and then places.place() makes a guest or puts them on the waitlist (or it waits for
the organizer when the event asks for approval). Unconfirmed registrations expire after EXPIRY
(seven days: the link's life; the address is then free to register again, and a stranger's
address typed in by someone else leaves nothing behind).

The same address twice never makes a second registration or guest (a unique key on event and
email; twenty submits at once make one row): an unconfirmed one takes the newest answers and is
sent a new link (its seven days start again); a guest gets their ticket again; anyone else
already registered is told where they stand by email. The page says the same in every case, so
it tells no stranger whether someone registered.

Someone who gave their place back (their registration "cancelled") or let an offer pass
("lapsed") and registers again starts over, as they would expect: their registration is
unconfirmed again with the new answers, a new confirmation link goes out, and confirming goes
through places.place() like anyone's (a free place: a guest again with a new ticket, through
places.admit; full: the end of the waitlist). Its decided_at stays set until then, which is how
the confirmation email knows to say "you gave your place back earlier". A registration the
organizer declined is not reopened this way (they are told it was declined).
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..database import writing
from ..events import tickets
from ..extensions import db
from ..mail import ticket_mail
from ..models import Event, Guest, Registration, utcnow
from . import places

EXPIRY = timedelta(days=7)
AGAIN = ("cancelled", "lapsed")  # registering again starts these over


@dataclass(frozen=True)
class Details:
    """What the form collected: who, their answers to the profile questions, their consents."""

    name: str
    email: str
    answers: dict = field(default_factory=dict)
    consents: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Sign:
    """What signing up did: "new" (send the link), "unconfirmed" (send a new link), "guest"
    (send the ticket again) or "registered" (waitlisted, awaiting approval…: nothing to send)."""

    outcome: str
    registration_id: int | None = None
    guest_id: int | None = None


@dataclass(frozen=True)
class Confirmed:
    """Where a confirmed registration stands: its status, guest and waitlist position."""

    registration: Registration
    status: str
    first_time: bool  # this POST confirmed it (rather than a second press)
    position: int | None = None  # on the waitlist
    queued: list[int] = field(default_factory=list)  # guests whose ticket email to send now


def sign_up(event: Event, details: Details, now: datetime | None = None) -> Sign:
    """Save an unconfirmed registration, or say what the address already has at the event."""
    now = now or utcnow()
    email = details.email.strip().lower()
    known = _standing(event, email)
    if known is not None and known.outcome == "again":
        _start_again(known.registration_id, details, now)
        return Sign("unconfirmed", known.registration_id)
    if known is not None and known.outcome == "unconfirmed":
        _renew(known.registration_id, details, now)
    if known is not None:
        return known
    try:
        with writing():
            registration = Registration(
                event_id=event.id,
                email=email,
                name=details.name,
                answers=details.answers,
                consents=details.consents,
                status="unconfirmed",
                token_hash=tickets.digest(secrets.token_urlsafe(32)),  # no link until emailed
                created_at=now,
            )
            db.session.add(registration)
    except IntegrityError:  # the same address, submitted at the same moment
        return _standing(event, email) or Sign("registered")
    return Sign("new", registration.id)


def _renew(registration_id: int, details: Details, now: datetime) -> None:
    """Registering again before confirming: the newest answers count, and the seven days
    start again (the new link must work even if the first one had run out)."""
    with writing():
        db.session.execute(
            update(Registration)
            .where(Registration.id == registration_id, Registration.status == "unconfirmed")
            .values(
                name=details.name,
                answers=details.answers,
                consents=details.consents,
                created_at=now,
            )
        )


def _start_again(registration_id: int, details: Details, now: datetime) -> None:
    """A cancelled or lapsed registration, registered again: unconfirmed, with the new answers
    and a fresh secret (no old link confirms it); at most once if two submits race."""
    with writing():
        db.session.execute(
            update(Registration)
            .where(Registration.id == registration_id, Registration.status.in_(AGAIN))
            .values(
                name=details.name,
                answers=details.answers,
                consents=details.consents,
                status="unconfirmed",
                token_hash=tickets.digest(secrets.token_urlsafe(32)),
                created_at=now,
                confirmed_at=None,
                offered_at=None,
                offer_expires_at=None,
                confirmation_sent_at=None,
                confirmation_attempts=0,
            )
        )


def _standing(event: Event, email: str) -> Sign | None:
    """What an address already has at the event: a registration, or a place on the guest list."""
    registration = db.session.scalar(
        select(Registration).where(Registration.event_id == event.id, Registration.email == email)
    )
    guest_id = db.session.scalar(
        select(Guest.id).where(
            Guest.event_id == event.id,
            func.lower(Guest.email) == email,
            Guest.cancelled_at.is_(None),
        )
    )
    if guest_id is not None:
        return Sign("guest", registration.id if registration else None, guest_id)
    if registration is None:
        return None
    outcome = {"unconfirmed": "unconfirmed", **dict.fromkeys(AGAIN, "again")}
    return Sign(outcome.get(registration.status, "registered"), registration.id)


def find(event: Event, token: str) -> Registration | None:
    """The event's registration whose latest emailed link this is."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.token_hash == tickets.digest(token)
        )
    )


def expired(registration: Registration, now: datetime | None = None) -> bool:
    """An unconfirmed registration older than EXPIRY: its link no longer confirms."""
    now = now or utcnow()
    return registration.status == "unconfirmed" and registration.created_at + EXPIRY <= now


def confirm(event: Event, token: str, now: datetime | None = None) -> Confirmed | None:
    """Confirm the registration this link names and decide its place; None for no such link.

    A second confirmation changes nothing and answers as the first did.
    """
    now = now or utcnow()
    with writing():
        registration = db.session.scalar(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.token_hash == tickets.digest(token or ""),
            )
            .with_for_update()
        )
        if registration is None or expired(registration, now):
            return None
        first_time = registration.status == "unconfirmed"
        if first_time:
            places.place(registration, now)  # a place, the waitlist, or the organizer's approval
    queued = []
    if first_time and registration.status == "guest":  # the ticket email, once per registration
        batch, again = places.ticket_batch(registration), places.stale_ticket_email(registration)
        queued = ticket_mail.queue(event, [registration.attendee_id], again=again, batch=batch)
    status = registration.status
    return Confirmed(registration, status, first_time, position(registration), queued or [])


def position(registration: Registration) -> int | None:
    """The registration's place in the waitlist's queue (1 is next), if it is on it."""
    if registration.status != "waitlisted":
        return None
    return places.waiting_before(registration) + 1


def forget_expired(now: datetime | None = None) -> int:
    """Delete unconfirmed registrations past EXPIRY (their data was never confirmed); how many."""
    now = now or utcnow()
    with writing():
        return db.session.execute(
            delete(Registration).where(
                Registration.status == "unconfirmed", Registration.created_at <= now - EXPIRY
            )
        ).rowcount
