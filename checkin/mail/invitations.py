"""Invitations to register: queued once per address and event, sent by the worker in batches,
with one-click unsubscribe onto the association's do-not-invite list.

Why a table of their own (Invitation) rather than outbox rows: an outbox row belongs to a guest
(Outbox.attendee_id is NOT NULL, and every outbox query joins guests), and an invitee is nobody
on any guest list yet. Generalising the outbox would touch every one of its users, the privacy
exports and erasure; instead Invitation repeats the outbox's columns and its life: claim (one
conditional UPDATE, so of racing workers exactly one sends), record at once, retry after the
outbox's delays (4xx and an unreachable server alike: no one watches these go), fail and
suppress on 5xx, and after a crash "uncertain" rather than sent twice (a second invitation is
spam). At most BATCH go per run over one connection; the periodic task sends the rest a minute
later, so a long list trickles out instead of flooding the mail server.

Invitations make sense only while people can register: never when the event's registration is
"off" or "closed". The register link is public_url(event): BASE_URL and the public page's
path, built by hand because the worker sends without a request (a test checks it is the path
url_for("registration.event_page") gives).
"""

from datetime import datetime, timedelta
from email.headerregistry import Address

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..database import writing, writing_rows
from ..events import events, tickets
from ..extensions import db
from ..models import DoNotInvite, Event, Invitation, utcnow
from . import invitation_list, messages, outbox, transport

BATCH = 100  # invitations per run (INVITATION_BATCH overrides)
INVITING = ("open", "paused")
CLOSED = "Invitations invite people to register: open registration for this event first."
NO_MORE = "Not sent: the address asked for no more invitations from this association."
BOUNCED = "Not sent: the address bounced earlier."
NO_MORE_PATH = "/invitations/no-more/"


def may_invite(event: Event) -> bool:
    """True while the event takes registrations (open or paused)."""
    return event.registration in INVITING


def public_url(event: Event) -> str:
    """The event's public page, where the invitation leads."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/e/{event.slug}"


def no_more_url(invitation: Invitation) -> str:
    """The one-click unsubscribe link of an invitation (GET shows a button, POST acts)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}{NO_MORE_PATH}{tickets.derive('invitation', invitation.salt)}"


def invite(event: Event, text: str, batch: str) -> int | None:
    """Queue an invitation to each address of the list it may go to (invitation_list.preview
    decides); how many, or None for a confirm form (batch) seen before."""
    if not may_invite(event):
        raise ValueError(CLOSED)
    with writing():
        db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())
        seen = select(Invitation.id).where(
            Invitation.event_id == event.id, Invitation.batch == batch
        )
        if db.session.scalar(seen.limit(1)) is not None:
            return None
        addresses = invitation_list.preview(event, text).valid
        rows = [_row(event, address, batch) for address in addresses]
        if not rows:
            return 0
        made = db.session.scalars(
            _dialect()
            .insert(Invitation)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["event_id", "email"])
            .returning(Invitation.id)
        ).all()
    return len(made)


def send_queued(event_id: int, now: datetime | None = None) -> dict[str, int]:
    """Send up to BATCH of the event's due invitations over one connection; statuses counted."""
    now, done = now or utcnow(), {}
    event = db.session.get(Event, event_id)
    limit = current_app.config.get("INVITATION_BATCH") or BATCH
    ids = db.session.scalars(
        select(Invitation.id)
        .where(Invitation.event_id == event_id, Invitation.status == "queued", _due(now))
        .order_by(Invitation.id)
        .limit(limit)
    ).all()
    if event is None or not ids:
        return done
    with transport.Mailer(event.slug) as mailer:
        for invitation_id in ids:
            status = _send_one(event, invitation_id, mailer, now)
            if status:
                done[status] = done.get(status, 0) + 1
    return done


def send_due(now: datetime | None = None) -> None:
    """Send a batch of every event's due invitations."""
    for event_id in due_events(now):
        send_queued(event_id, now)


def due_events(now: datetime | None = None) -> list[int]:
    """The events with invitations waiting to be sent now."""
    query = select(Invitation.event_id).where(Invitation.status == "queued", _due(now or utcnow()))
    return list(db.session.scalars(query.distinct().order_by(Invitation.event_id)))


def recover(claimed_before: datetime | None = None) -> int:
    """Invitations a stopped worker left "sending" become uncertain (never sent twice)."""
    cutoff = claimed_before or utcnow() - outbox.STALE
    with writing():
        return db.session.execute(
            update(Invitation)
            .where(Invitation.status == "sending", Invitation.claimed_at < cutoff)
            .values(status="uncertain", reason=outbox.UNCERTAIN, next_attempt_at=None)
        ).rowcount


def counts(event: Event) -> dict[str, int]:
    """How many of the event's invitations are in each status (every status present)."""
    found = db.session.execute(
        select(Invitation.status, func.count())
        .where(Invitation.event_id == event.id)
        .group_by(Invitation.status)
    ).all()
    return dict.fromkeys(outbox.STATUSES, 0) | dict(found)


def not_sent(event: Event, limit: int = 50) -> list[Invitation]:
    """The event's invitations that failed or were skipped, newest first, with why."""
    query = select(Invitation).where(
        Invitation.event_id == event.id, Invitation.status.in_(("failed", "skipped", "uncertain"))
    )
    return list(db.session.scalars(query.order_by(Invitation.id.desc()).limit(limit)))


RETRYABLE = ("failed", "uncertain")


def retry(event: Event, invitation_id: int) -> bool:
    """Queue a failed or uncertain invitation of this event again (the organizer asked: an
    uncertain one may have gone, so it may arrive twice); False when it is not one (a second
    press finds it queued). Opt-outs and bounces are checked again when it is sent."""
    with writing():
        return bool(
            db.session.execute(
                update(Invitation)
                .where(
                    Invitation.id == invitation_id,
                    Invitation.event_id == event.id,
                    Invitation.status.in_(RETRYABLE),
                )
                .values(status="queued", reason="", next_attempt_at=None, claimed_at=None)
            ).rowcount
        )


def invitation_of(token: str) -> Invitation | None:
    """The invitation an unsubscribe link belongs to, or None for a forged or garbled one."""
    if not token or len(token) > 100:
        return None
    found = select(Invitation).where(Invitation.token_hash == tickets.digest(token))
    return db.session.scalar(found)


def no_more(invitation: Invitation) -> None:
    """Put the address on the association's do-not-invite list (a repeat changes nothing)."""
    with writing():
        db.session.execute(
            _dialect()
            .insert(DoNotInvite)
            .values(
                association_id=invitation.association_id,
                email=invitation.email,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["association_id", "email"])
        )


def is_opted_out(invitation: Invitation) -> bool:
    """True when the address asked this organizer for no more invitations."""
    found = select(DoNotInvite.id).where(
        DoNotInvite.association_id == invitation.association_id,
        DoNotInvite.email == invitation.email,
    )
    return db.session.scalar(found) is not None


def message(invitation: Invitation):
    """The invitation email: text and HTML, the register link, one-click unsubscribe."""
    event = invitation.event
    context = {
        "event": event,
        "when": events.when(event.starts_at, event),
        "register_url": public_url(event),
        "no_more_url": no_more_url(invitation),
    }
    to = Address(addr_spec=invitation.email)
    mail = transport.new_message(to, f"You're invited: {event.name}", reply_to=event.reply_to)
    messages.list_unsubscribe(mail, context["no_more_url"])
    messages.write(mail, "invitation", **context)
    return mail


def _send_one(event: Event, invitation_id: int, mailer, now: datetime) -> str | None:
    """Claim, check, send and record one invitation; its new status, None if taken."""
    if not _claim(invitation_id, now):
        return None
    invitation = db.session.get(Invitation, invitation_id, populate_existing=True)
    if is_opted_out(invitation):
        return _record(invitation_id, "skipped", NO_MORE)
    if outbox.is_suppressed(invitation.email):
        return _record(invitation_id, "skipped", BOUNCED)
    try:
        built = message(invitation)
    except Exception as error:  # one unbuildable email fails alone, not the batch
        current_app.logger.exception("Invitation %s could not be built", invitation_id)
        return _record(invitation_id, "failed", f"Could not build the email: {error}")
    return _settle(invitation, built, mailer.send(built), now)


def _settle(invitation: Invitation, built, outcome: transport.Outcome, now: datetime) -> str:
    """Record what the server said: sent, queued again after the outbox's delay, or failed."""
    if outcome.ok:
        message_id = str(built["Message-ID"] or "").strip().strip("<>")
        return _record(invitation.id, "sent", "", message_id=message_id, sent_at=utcnow())
    delays = outbox.retry_delays()
    if outcome.temporary and invitation.attempts <= len(delays):
        later = now + timedelta(seconds=delays[invitation.attempts - 1])
        why = f"Not sent yet, will try again after {later:%Y-%m-%d %H:%M} UTC: {outcome.error}"
        _record(invitation.id, "queued", why, next_attempt_at=later)
        return "retrying"
    if 500 <= outcome.code < 600:
        outbox.suppress(invitation.email, outcome.error)
    return _record(invitation.id, "failed", outcome.error)


def _claim(invitation_id: int, now: datetime) -> bool:
    """Take a due queued invitation for sending; False when another worker has it."""
    table = Invitation.__table__
    with writing_rows() as connection:
        found = connection.execute(
            update(table)
            .where(table.c.id == invitation_id, table.c.status == "queued", _due(now))
            .values(status="sending", claimed_at=utcnow(), attempts=table.c.attempts + 1)
        ).rowcount
    return found == 1


def _record(invitation_id: int, status: str, reason: str, **values) -> str:
    """Write what became of one invitation at once; returns status."""
    table = Invitation.__table__
    with writing_rows() as connection:
        connection.execute(
            update(table)
            .where(table.c.id == invitation_id, table.c.status.in_(("sending", "uncertain")))
            .values(status=status, reason=reason[:2000], **values)
        )
    return status


def _row(event: Event, address: str, batch: str) -> dict:
    salt = tickets.new_salt()
    return {
        "event_id": event.id,
        "association_id": event.association_id,
        "email": address,
        "batch": batch,
        "salt": salt,
        "token_hash": tickets.digest(tickets.derive("invitation", salt)),
        "status": "queued",
        "queued_at": utcnow(),
    }


def _due(now: datetime):
    return (Invitation.next_attempt_at.is_(None)) | (Invitation.next_attempt_at <= now)


def _dialect():
    return postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
