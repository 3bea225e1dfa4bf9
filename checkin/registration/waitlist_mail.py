"""The waitlist's emails: "you're number N", "a place is yours if you accept by …" and the
organizer's "sorry".

Each is a .txt/.html pair under templates/mail/email/, sent by a queued task (tasks.send_offer,
tasks.send_waitlisted, tasks.send_declined). Each goes only while the registration is still in
the state it speaks of: a task that runs late (the offer lapsed, or was accepted) sends nothing.
A mail server that answers "try later" (or cannot be reached) makes the task raise, so the queue
tries it again.
"""

from ..events import events
from ..extensions import db
from ..mail import messages, transport
from ..models import Registration
from . import places, waitlist


class TryLater(Exception):
    """The mail server could not take the message now; the queue retries the task."""


def send_offer(registration_id: int) -> bool:
    """Email an open offer with its accept link; False when there is none to send."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status != "offered":
        return False
    event = registration.event
    context = {
        "registration": registration,
        "event": event,
        "when": events.when(event.starts_at, event),
        "until": events.when(registration.offer_expires_at, event),
        "accept_url": waitlist.accept_url(registration),
    }
    return _send(registration, f"A place at {event.name} is yours", "offer", context)


def send_waitlisted(registration_id: int) -> bool:
    """Tell someone just waitlisted their place in line, and what happens next."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status != "waitlisted":
        return False
    event = registration.event
    context = {
        "registration": registration,
        "event": event,
        "number": places.waiting_before(registration) + 1,
        "hours": event.offer_hours,
    }
    return _send(registration, f"You're on the waitlist for {event.name}", "waitlisted", context)


def send_declined(registration_id: int) -> bool:
    """Tell someone the organizer could not take their registration."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status != "declined":
        return False
    event = registration.event
    context = {"registration": registration, "event": event}
    return _send(registration, f"Your registration for {event.name}", "declined", context)


def _send(registration: Registration, subject: str, template: str, context: dict) -> bool:
    message = transport.new_message(messages.recipient(registration), subject)
    messages.write(message, template, **context)
    (outcome,) = transport.send([message], registration.event.slug)
    if not outcome.ok and outcome.temporary:
        raise TryLater(outcome.error)
    return outcome.ok
