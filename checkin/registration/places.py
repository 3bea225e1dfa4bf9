"""Places at an event: how many are taken, and giving one to a confirmed registration.

A place is taken by every guest who has not cancelled (imported, added by hand, walk-in or
registered) and by every waitlist offer still open, so an offer holds its place until it is
accepted or lapses. Deciding is done with the event's row locked (PostgreSQL) or inside
SQLite's single writer, so two registrations racing for the last place never both get it.
"""

from datetime import datetime

from sqlalchemy import func, select, tuple_

from ..events import tickets
from ..extensions import db
from ..models import Event, Guest, Outbox, Registration, utcnow
from ..privacy import consents

# The registration's answers that become the guest's profile; nothing else is copied.
PROFILE = (
    "class_year",
    "major",
    "residence_hall",
    "clubs",
    "industry",
    "interests",
    "employer",
    "role",
    "city",
    "can_help_with",
    "wants_help_with",
    "linkedin_url",
    "willing_to_mentor",
)
# Where place() leaves a registration alone: already decided, or no longer wanting a place.
DECIDED = ("waitlisted", "offered", "guest", "declined", "lapsed", "cancelled")
CONSENTS = {
    "findable": "consent_findable",
    "share_contact": "consent_share_contact",
    "digest": "consent_digest",
}


def taken(event: Event) -> int:
    """Places taken: guests who have not cancelled, and open waitlist offers."""
    guests = db.session.scalar(
        select(func.count()).where(Guest.event_id == event.id, Guest.cancelled_at.is_(None))
    )
    offers = db.session.scalar(
        select(func.count()).where(
            Registration.event_id == event.id, Registration.status == "offered"
        )
    )
    return guests + offers


def left(event: Event) -> int | None:
    """Places still free; None when the event has no capacity set."""
    if event.capacity is None:
        return None
    return max(0, event.capacity - taken(event))


def lock(event: Event) -> None:
    """Take the event's row for this write transaction (PostgreSQL; SQLite has one writer)."""
    db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())


def place(registration: Registration, now: datetime | None = None, approved: bool = False) -> str:
    """Decide a just-confirmed registration, inside writing(): approval, guest or waitlisted.

    At an event whose organizer approves by hand, a registration waits in "approval" until
    approved (approvals.approve calls this again with approved=True). Someone confirming
    while others wait goes behind them: a free place is offered to the waitlist in order
    (waitlist.offer_next), never taken by a newcomer.
    """
    event = registration.event
    lock(event)
    now = now or utcnow()
    registration.confirmed_at = registration.confirmed_at or now
    if registration.status in DECIDED:
        return registration.status  # confirming twice, or approving twice, changes nothing
    if event.approval_required and not approved:
        registration.status = "approval"
        return registration.status
    waiting = db.session.scalar(
        select(func.count()).where(
            Registration.event_id == event.id,
            Registration.status == "waitlisted",
            Registration.id != registration.id,
        )
    )
    free = left(event)
    if free is None or (free > 0 and not waiting):
        admit(registration, now)
    else:
        registration.status = "waitlisted"
    return registration.status


def waiting_before(registration: Registration) -> int:
    """How many wait ahead of this waitlisted registration (0: next in line)."""
    return db.session.scalar(
        select(func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == "waitlisted",
            tuple_(Registration.confirmed_at, Registration.id)
            < tuple_(registration.confirmed_at, registration.id),
        )
    )


def admit(registration: Registration, now: datetime | None = None) -> Guest:
    """Make the registration a guest with a ticket (inside writing()); an address already on
    the guest list (imported, say) keeps that guest rather than making a second one, and one
    who had cancelled is back, with a new ticket."""
    now = now or utcnow()
    person = db.session.scalar(
        select(Guest).where(
            Guest.event_id == registration.event_id, func.lower(Guest.email) == registration.email
        )
    )
    if person is None:
        person = _new_guest(registration, now)
    elif person.cancelled_at is not None:  # gave their place back, and now has one again
        person.cancelled_at = None
        tickets.issue(person)
    registration.status, registration.attendee_id, registration.decided_at = "guest", person.id, now
    return person


def ticket_batch(registration: Registration) -> str:
    """The outbox batch of a registration's ticket email: once per confirmation (someone who
    cancelled and registered again is confirmed again, and gets their new ticket)."""
    return f"registration-{registration.id}-{registration.confirmed_at:%Y%m%d%H%M%S%f}"


def stale_ticket_email(registration: Registration) -> bool:
    """True when the ticket last emailed to the registration's guest no longer works (they
    cancelled, and admit gave them a new one): their ticket email goes again."""
    ticket = tickets.current_ticket(registration.attendee_id)
    last = db.session.scalar(
        select(func.max(Outbox.sent_at)).where(
            Outbox.attendee_id == registration.attendee_id, Outbox.kind == "ticket"
        )
    )
    return ticket is not None and last is not None and ticket.issued_at > last


def _new_guest(registration: Registration, now: datetime) -> Guest:
    answers = {k: v for k, v in (registration.answers or {}).items() if k in PROFILE}
    chosen = {
        column: bool((registration.consents or {}).get(name)) for name, column in CONSENTS.items()
    }
    person = Guest(
        event_id=registration.event_id,
        name=registration.name,
        email=registration.email,
        source="registration",
        created_at=now,
        **answers,
        **chosen,
    )
    db.session.add(person)
    db.session.flush()
    consents.record_first(person, "registration", now)
    tickets.issue(person)
    return person
