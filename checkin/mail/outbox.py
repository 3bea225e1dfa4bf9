"""The one outbox: every email the app sends is a row, queued, claimed, sent, recorded.

Kinds: "ticket" (a guest's QR and personal link, one row per press of a send button),
"digest" (the next-morning digest, one per guest), "match:<other guest id>" (an
introduction, one per reader and pair) and "reminder" (the day before, one per guest). Who is
queued and what each email says live with the kind (ticket_mail, digest_outbox, digest_sending,
reminders); what happens to a row lives here, once:

- claim: queued -> sending, one conditional UPDATE, before the message is built, so of any
  number of workers racing over the same row exactly one sends it;
- record: what the server said, written at once: sent; queued again after a growing delay
  (RETRY_DELAYS) when it put the message off; failed when it refused for good (5xx), and then
  the address is suppressed: it gets nothing more, of any kind, until an organizer lifts it;
- recover: a row a stopped worker left "sending" may or may not have gone out.

Where kinds differ is the policy below, and why:
- After a crash a ticket is queued again (a second copy is harmless; a missing ticket turns a
  guest away at the door), while a digest or introduction becomes "uncertain": no one gets the
  same digest twice, and the organizer can send it again from the digest's status page. A
  reminder is treated as a digest: a second "Tomorrow: ..." annoys more than a missing one
  harms (the ticket email already carries the QR).
- A 4xx answer is tried again for every kind. A server that cannot be reached at all is tried
  again for digests, introductions and reminders, which go out with no one watching; a ticket
  fails at once, in front of the organizer who pressed Send, fixes the mail settings and presses
  again.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..database import writing, writing_rows
from ..extensions import db
from ..models import Guest, Outbox, Suppression, utcnow
from . import transport

TICKET, DIGEST, MATCH = "ticket", "digest", "match:"  # MATCH + other guest id: introduction
REMINDER = "reminder"
STATUSES = ("queued", "sending", "sent", "failed", "skipped", "uncertain")
KEY = ["event_id", "attendee_id", "kind", "batch"]  # unique: queueing twice queues once
STALE = timedelta(minutes=10)  # far longer than one message takes (SMTP timeouts are 20 s)
RETRY_DELAYS = (60, 300, 900, 3600, 10800, 21600)  # seconds; DIGEST_RETRY_DELAYS overrides
UNCERTAIN = (
    "The worker stopped while sending this email, so it may or may not have gone out. "
    "It is not sent again by itself: send it again from here if the guest did not get it."
)
SENT_AGAIN = "The worker stopped while sending this email, so it goes out again."
BOUNCED = (
    "Not sent: the address bounced earlier (its mail server refused it for good), "
    "so nothing more is sent to it."
)


@dataclass(frozen=True)
class Policy:
    """How the outbox treats one kind of email (the module's docstring says why)."""

    retries_4xx: bool  # a server that puts the message off is tried again after a delay
    retries_unreachable: bool  # so is a server that cannot be reached
    after_crash: str  # what a row a stopped worker left "sending" becomes
    crash_reason: str
    suppressed: bool  # an address that hard-bounced gets none


POLICIES = {
    "ticket": Policy(True, False, "queued", SENT_AGAIN, suppressed=True),
    "digest": Policy(True, True, "uncertain", UNCERTAIN, suppressed=True),
    "introduction": Policy(True, True, "uncertain", UNCERTAIN, suppressed=True),
    "reminder": Policy(True, True, "uncertain", UNCERTAIN, suppressed=True),
}


class Unsendable(Exception):
    """The row's email cannot be made (an address that is no address): it fails, with why."""


def kind_name(kind: str) -> str:
    """The policy name of a row's kind: ticket, digest, introduction or reminder."""
    return "introduction" if kind.startswith(MATCH) else kind


def policy_of(kind: str) -> Policy:
    """The policy for a row of this kind."""
    return POLICIES[kind_name(kind)]


def of_kind(name: str):
    """The condition on rows of one policy's kind."""
    return Outbox.kind.startswith(MATCH) if name == "introduction" else Outbox.kind == name


def insert():
    """An INSERT into the outbox that can skip rows already there, in the database's dialect."""
    return _dialect().insert(Outbox)


def fill(kind: str, guests, now: datetime) -> int:
    """Queue one row of this kind for each guest the query selects (event id, guest id, email),
    leaving rows already there alone (inside writing()); how many were made."""
    constants = (
        literal(kind).label("kind"),
        literal("queued").label("status"),
        literal(now, Outbox.queued_at.type).label("queued_at"),
    )
    rows = guests.add_columns(*constants)
    columns = ["event_id", "attendee_id", "recipient", "kind", "status", "queued_at"]
    made = db.session.scalars(
        insert()
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=KEY)
        .returning(Outbox.id)
    ).all()
    return len(made)


def due(now: datetime):
    """The condition on queued rows whose time has come."""
    return or_(Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now)


def claim(row_id: int, now: datetime) -> tuple[int, str, int] | None:
    """Take a due queued row for sending: (guest id, kind, attempts), or None if taken."""
    outbox = Outbox.__table__
    with writing_rows() as connection:  # Core: a claim per message, so kept cheap
        found = connection.execute(
            update(outbox)
            .where(outbox.c.id == row_id, outbox.c.status == "queued", due(now))
            .values(status="sending", claimed_at=utcnow(), attempts=outbox.c.attempts + 1)
            .returning(outbox.c.attendee_id, outbox.c.kind, outbox.c.attempts)
        ).first()
    return tuple(found) if found else None


def settle(row_id: int, kind: str, attempts: int, message, outcome: transport.Outcome, now) -> str:
    """Record what the server said: sent, back to the queue for later ("retrying"), or failed."""
    if outcome.ok:
        message_id = str(message["Message-ID"] or "").strip().strip("<>")
        return record(row_id, "sent", "", outcome.recipient, message_id=message_id)
    policy = policy_of(kind)
    retries = policy.retries_4xx if outcome.code else policy.retries_unreachable
    if outcome.temporary and retries:
        delays = retry_delays()
        if attempts <= len(delays):
            later = now + timedelta(seconds=delays[attempts - 1])
            why = f"Not sent yet, will try again after {_clock(later)}: {outcome.error}"
            return record(row_id, "retrying", why, outcome.recipient, next_attempt_at=later)
        why = f"Gave up after {attempts} attempts: {outcome.error}"
        return record(row_id, "failed", why, outcome.recipient)
    if 500 <= outcome.code < 600:
        suppress(outcome.recipient, outcome.error)
    return record(row_id, "failed", outcome.error, outcome.recipient)


def record(row_id: int, status: str, reason: str, recipient=None, **values) -> str:
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


def recover(claimed_before: datetime | None = None, kinds=tuple(POLICIES)) -> int:
    """Rows a stopped worker left "sending" become what their kind's policy says; how many.

    claimed_before: rows claimed before this moment are abandoned (a consumer passes its own
    start time); by default, those older than STALE. kinds: the policies' names to recover.
    """
    cutoff = claimed_before or utcnow() - STALE
    found = 0
    with writing():
        for name in kinds:
            policy = POLICIES[name]
            found += db.session.execute(
                update(Outbox)
                .where(of_kind(name), Outbox.status == "sending", Outbox.claimed_at < cutoff)
                .values(status=policy.after_crash, reason=policy.crash_reason, next_attempt_at=None)
            ).rowcount
    return found


def retry_delays() -> tuple[int, ...]:
    """Seconds to wait after the 1st, 2nd, ... temporary failure; then the row fails."""
    return tuple(current_app.config.get("DIGEST_RETRY_DELAYS") or RETRY_DELAYS)


def is_suppressed(email: str) -> bool:
    """True when a mail server refused this address for good."""
    email = (email or "").strip().lower()
    found = select(Suppression.id).where(Suppression.email == email)
    return bool(email) and db.session.scalar(found) is not None


def suppress(email: str, reason: str) -> None:
    """Send nothing more to an address the mail server refused for good (kept once)."""
    email = (email or "").strip().lower()
    if not email:
        return
    with writing():
        db.session.execute(
            _dialect()
            .insert(Suppression)
            .values(email=email, reason=reason[:2000], created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["email"])
        )


def lift(email: str) -> None:
    """Take an address off the suppression list, in the caller's write transaction."""
    email = (email or "").strip().lower()
    db.session.execute(delete(Suppression).where(Suppression.email == email))


def addressee(attendee_id: int) -> tuple[Guest | None, bool]:
    """The guest as the database has them now, and whether their address is suppressed."""
    email = func.lower(func.trim(Guest.email))
    found = db.session.execute(
        select(Guest, Suppression.id)
        .outerjoin(Suppression, Suppression.email == email)
        .where(Guest.id == attendee_id)
        .execution_options(populate_existing=True)
    ).first()
    return (found[0], found[1] is not None) if found else (None, False)


class Sender:
    """One sending run over one mail connection: claim, compose, check, send, record each row.

    compose(reader, kind, suppressed) gives (message, "") to send or (None, why) to skip, or
    raises Unsendable. Used as a context manager; meanwhile the session does not expire what it
    loaded at each commit (two per message, and reloading the event every time would be a query
    per message): the rows that decide anything are read with populate_existing.
    """

    def __init__(self, folder: str, now: datetime, compose) -> None:
        self.folder, self.now, self.compose = folder, now, compose
        self.mailer: transport.Mailer | None = None
        self.outcomes: list[transport.Outcome] = []  # one per row this run took, in order
        self._expiring = True

    def __enter__(self) -> "Sender":
        session = db.session()
        self._expiring, session.expire_on_commit = session.expire_on_commit, False
        self.mailer = transport.Mailer(self.folder).__enter__()
        return self

    def __exit__(self, *exc) -> None:
        db.session().expire_on_commit = self._expiring
        self.mailer.__exit__(*exc)

    def send(self, row_id: int) -> str | None:
        """Claim, compose, send and record one row; its new status ("retrying" when it went
        back to the queue), or None when another worker had it."""
        claimed = claim(row_id, self.now)
        if claimed is None:
            return None
        attendee_id, kind, attempts = claimed
        reader, suppressed = addressee(attendee_id)
        suppressed = suppressed and policy_of(kind).suppressed
        address = reader.email if reader else ""
        try:
            message, skip = self.compose(reader, kind, suppressed)
        except Unsendable as error:
            return self._not_sent(row_id, "failed", str(error), address)
        except Exception as error:  # a bug in one email fails that email, not the batch
            current_app.logger.exception("Outbox row %s could not be built", row_id)
            return self._not_sent(row_id, "failed", f"Could not build the email: {error}")
        if not skip and suppressed:  # whatever the kind had to say, a bounced address gets none
            skip = BOUNCED
        if skip:
            return self._not_sent(row_id, "skipped", skip, address, recipient=address)
        outcome = self.mailer.send(message)
        self.outcomes.append(outcome)
        return settle(row_id, kind, attempts, message, outcome, self.now)

    def _not_sent(self, row_id, status, reason, address="", recipient=None) -> str:
        self.outcomes.append(transport.Outcome(address, False, reason))
        return record(row_id, status, reason, recipient)


def _dialect():
    return postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite


def _clock(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
