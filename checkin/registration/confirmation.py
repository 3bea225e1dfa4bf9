"""The registration emails: the link that confirms an address, and "you're already registered".

Sent from the worker (tasks.send_registration_link), never in the request. The link's token is
made at sending time and only its hash is kept, so each email carries a fresh link and the one
emailed last is the one that works. A dead or busy mail server loses nothing: the registration
keeps confirmation_sent_at empty until a server took the message, and every five minutes a
sweep (tasks.sweep_registrations) sends again what was not taken, up to MAX_ATTEMPTS times in
all, then forgets registrations past their expiry. An address the mail server refused for good
is suppressed, as for every other email.
"""

import re
import secrets
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import select

from ..database import writing
from ..events import events, tickets
from ..extensions import db
from ..mail import messages, outbox, ticket_mail, transport
from ..models import Guest, Registration, utcnow
from . import signup

MAX_ATTEMPTS = 6
FRESH = timedelta(minutes=2)  # a row younger than this is still its own task's to send


def send_link(registration_id: int, now: datetime | None = None) -> transport.Outcome | None:
    """Email the registration a new confirmation link; None when there is nothing to send."""
    now = now or utcnow()
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status != "unconfirmed":
        return None
    if signup.expired(registration, now) or outbox.is_suppressed(registration.email):
        return None
    token = secrets.token_urlsafe(32)
    with writing():
        registration.token_hash = tickets.digest(token)
        registration.confirmation_attempts += 1
    return _send(registration, "confirm", confirm_url(registration, token), now)


def send_standing(registration_id: int, now: datetime | None = None) -> transport.Outcome | None:
    """Tell someone registered again where they already stand (waitlist, approval…)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or outbox.is_suppressed(registration.email):
        return None
    return _send(registration, "standing", signup.position(registration), now or utcnow())


def follow_up(outcome: str, registration_id: int | None, guest_id: int | None) -> None:
    """What a submitted form sends (signup.Sign.outcome): a link, the ticket again, or the
    standing of someone already registered."""
    if outcome in ("new", "unconfirmed"):
        send_link(registration_id)
    elif outcome == "guest":
        guest = db.session.get(Guest, guest_id)
        if guest is not None:
            ticket_mail.send_again(guest.email, guest.event_id)
    elif outcome == "registered" and registration_id is not None:
        send_standing(registration_id)


def confirm_url(registration: Registration, token: str) -> str:
    """The emailed link: GET shows a button, POST confirms."""
    base = current_app.config["BASE_URL"]
    return f"{base}/e/{registration.event.slug}/confirm/{token}"


def due(now: datetime | None = None) -> list[int]:
    """Unconfirmed registrations whose link no mail server has taken yet, nor a task is sending."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Registration.id)
            .where(Registration.status == "unconfirmed")
            .where(Registration.confirmation_sent_at.is_(None))
            .where(Registration.confirmation_attempts < MAX_ATTEMPTS)
            .where(Registration.created_at <= now - FRESH)
            .where(Registration.created_at > now - signup.EXPIRY)
            .order_by(Registration.id)
        )
    )


def sweep(now: datetime | None = None) -> int:
    """Send again every link not yet taken by a mail server; forget expired registrations."""
    now = now or utcnow()
    sent = sum(bool(o and o.ok) for o in (send_link(i, now) for i in due(now)))
    signup.forget_expired(now)
    return sent


def _send(registration: Registration, kind: str, detail, now: datetime) -> transport.Outcome:
    """Build, send and record one registration email."""
    event = registration.event
    context = {
        "registration": registration,
        "event": event,
        "kind": kind,
        "detail": detail,
        "when": events.when(event.starts_at, event),
        "days": signup.EXPIRY.days,
    }
    subject = (
        f"Confirm your registration for {event.name}"
        if kind == "confirm"
        else f"You're already registered for {event.name}"
    )
    to = messages.recipient(registration)
    message = transport.new_message(to, subject, reply_to=event.reply_to)
    text = render_template("mail/email/registration.txt", **context)
    message.set_content(re.sub(r"\n{3,}", "\n\n", text))  # no runs of blank lines
    html = render_template("mail/email/registration.html", **context)
    message.add_alternative(html, subtype="html")
    outcome = transport.send([message], event.slug)[0]
    _record(registration, kind, outcome, now)
    return outcome


def _record(registration: Registration, kind: str, outcome: transport.Outcome, now) -> None:
    if outcome.ok and kind == "confirm":
        with writing():
            registration.confirmation_sent_at = now
    elif 500 <= outcome.code < 600:
        outbox.suppress(outcome.recipient, outcome.error)
