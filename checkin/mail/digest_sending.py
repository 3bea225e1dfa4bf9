"""One batch of an event's outbox: claim a row, build its email, check it may go, send, record.

A row is claimed (queued -> sending, one conditional UPDATE) before its message is built, so of
any number of workers racing over the same rows exactly one sends each. Its message is built
right then, from what the database says at that moment (consent, unsubscribes, suppressed
addresses, the cards), sent over the batch's one connection, and what became of it is written
at once. A worker that dies between the server's 250 and that write leaves the row "sending";
digest_outbox.recover() later marks it "uncertain" instead of sending it again.
"""

from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..database import writing, writing_rows
from ..digest import content
from ..extensions import db
from ..models import Attendee, Event, Outbox, Suppression, utcnow
from . import messages, subscriptions, transport

DIGEST = "digest"
MATCH = "match:"  # kind prefix of an introduction: "match:<other attendee id>"
NOTHING_TO_SAY = "Nothing to say: no one met, waiting to connect or to meet."
RETRY_DELAYS = (60, 300, 900, 3600, 10800, 21600)  # seconds; DIGEST_RETRY_DELAYS overrides


class Batch:
    """One event's sending run: one digest Builder and one mail connection for every row.

    Used as a context manager. Meanwhile the session does not expire what it loaded at each
    commit (two per message, and reloading the event every time would be a query per
    message): the rows that decide anything (the reader, the other person) are read with
    populate_existing, and the Builder reads with its own connection.
    """

    def __init__(self, event: Event, now: datetime, builder=None) -> None:
        self.event_id, self.folder = event.id, event.slug
        self.now = now
        self.builder = builder  # digest.Builder, made by the caller when digests are due
        self.mailer: transport.Mailer | None = None
        self._expiring = True

    def __enter__(self) -> "Batch":
        session = db.session()
        self._expiring, session.expire_on_commit = session.expire_on_commit, False
        self.mailer = transport.Mailer(self.folder).__enter__()
        return self

    def __exit__(self, *exc) -> None:
        db.session().expire_on_commit = self._expiring
        self.mailer.__exit__(*exc)

    def send(self, row_id: int) -> str | None:
        """Claim, build, send and record one row; its new status ("retrying" when it went back
        to the queue), or None when another worker had it."""
        claimed = claim(row_id, self.now)
        if claimed is None:
            return None
        attendee_id, kind, attempts = claimed
        try:
            reader, message, skip = self._message(attendee_id, kind)
        except Exception as error:  # a bug in one email fails that email, not the batch
            current_app.logger.exception("Digest outbox row %s could not be built", row_id)
            return _record(row_id, "failed", f"Could not build the email: {error}")
        if skip:
            return _record(row_id, "skipped", skip, recipient=reader.email if reader else "")
        outcome = self.mailer.send(message)
        return self._outcome(row_id, attempts, message, outcome)

    def _message(self, attendee_id: int, kind: str):
        """(reader, message, "") to send, or (reader, None, why not) to skip."""
        reader, suppressed = _fresh(attendee_id)
        if reader is None or reader.event_id != self.event_id:
            return None, None, "The attendee is no longer on the guest list."
        unsubscribed = subscriptions.is_unsubscribed(reader)  # here, or at another event
        if kind == DIGEST:
            if skip := content.skip_reason(reader, suppressed, unsubscribed):
                return reader, None, skip
            built = self.builder.build(reader)
            if built is None:
                return reader, None, NOTHING_TO_SAY
            return reader, messages.digest(built), ""
        if skip := introduction_skip_reason(reader, suppressed, unsubscribed):
            return reader, None, skip
        other, _ = _fresh(int(kind.removeprefix(MATCH)))
        if other is None or other.event_id != self.event_id:
            return reader, None, "The other person is no longer on the guest list."
        return reader, messages.introduction(reader, other), ""

    def _outcome(self, row_id, attempts, message: EmailMessage, outcome: transport.Outcome) -> str:
        """Record what the server said: sent, back to the queue for later, or failed."""
        if outcome.ok:
            message_id = str(message["Message-ID"] or "").strip().strip("<>")
            return _record(row_id, "sent", "", outcome.recipient, message_id=message_id)
        if outcome.temporary:
            delays = retry_delays()
            if attempts <= len(delays):
                later = self.now + timedelta(seconds=delays[attempts - 1])
                why = f"Not sent yet, will try again after {_clock(later)}: {outcome.error}"
                return _record(row_id, "retrying", why, outcome.recipient, next_attempt_at=later)
            why = f"Gave up after {attempts} attempts: {outcome.error}"
            return _record(row_id, "failed", why, outcome.recipient)
        if 500 <= outcome.code < 600:
            suppress(outcome.recipient, outcome.error)
        return _record(row_id, "failed", outcome.error, outcome.recipient)


def claim(row_id: int, now: datetime) -> tuple[int, str, int] | None:
    """Take a due queued row for sending: (attendee id, kind, attempts), or None if taken."""
    outbox = Outbox.__table__
    with writing_rows() as connection:  # Core: a claim per message, so kept cheap
        found = connection.execute(
            update(outbox)
            .where(outbox.c.id == row_id, outbox.c.status == "queued", due(now))
            .values(status="sending", claimed_at=utcnow(), attempts=outbox.c.attempts + 1)
            .returning(outbox.c.attendee_id, outbox.c.kind, outbox.c.attempts)
        ).first()
    return tuple(found) if found else None


def due(now: datetime):
    """The condition on queued rows whose time has come."""
    return or_(Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now)


def introduction_skip_reason(reader: Attendee, suppressed: bool, unsubscribed: bool) -> str:
    """Why an introduction may not go to the reader ("" when it may)."""
    return content.mail_problem(reader, suppressed, unsubscribed)


def is_suppressed(email: str) -> bool:
    """True when a mail server refused this address for good."""
    email = (email or "").strip().lower()
    found = select(Suppression.id).where(Suppression.email == email)
    return bool(email) and db.session.scalar(found) is not None


def _fresh(attendee_id: int) -> tuple[Attendee | None, bool]:
    """The attendee as the database has them now, and whether their address is suppressed."""
    email = func.lower(func.trim(Attendee.email))
    found = db.session.execute(
        select(Attendee, Suppression.id)
        .outerjoin(Suppression, Suppression.email == email)
        .where(Attendee.id == attendee_id)
        .execution_options(populate_existing=True)
    ).first()
    return (found[0], found[1] is not None) if found else (None, False)


def suppress(email: str, reason: str) -> None:
    """Send nothing more to an address the mail server refused for good (kept once)."""
    email = (email or "").strip().lower()
    if not email:
        return
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    with writing():
        db.session.execute(
            dialect.insert(Suppression)
            .values(email=email, reason=reason[:2000], created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["email"])
        )


def retry_delays() -> tuple[int, ...]:
    """Seconds to wait after the 1st, 2nd, ... temporary failure; then the row fails."""
    return tuple(current_app.config.get("DIGEST_RETRY_DELAYS") or RETRY_DELAYS)


def _record(row_id: int, status: str, reason: str, recipient=None, **values) -> str:
    """Write what became of one row, as soon as it is known; returns status."""
    values |= {"status": "queued" if status == "retrying" else status, "reason": reason[:2000]}
    if recipient is not None:
        values["recipient"] = recipient[:254]
    if status == "sent":
        values["sent_at"] = utcnow()
    outbox = Outbox.__table__
    with writing_rows() as connection:
        connection.execute(
            update(outbox)
            # "uncertain" too: a recovery that judged this row lost was wrong, and now we know.
            .where(outbox.c.id == row_id, outbox.c.status.in_(("sending", "uncertain")))
            .values(**values)
        )
    return status


def _clock(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
