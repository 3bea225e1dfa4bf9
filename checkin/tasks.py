"""Background jobs (huey): sending mail off the request, so a press of a button answers at once.

The queue is a SQLite file under instance/ (so `make run` needs no Redis), or Redis when
REDIS_URL is set. The worker is `huey_consumer checkin.tasks.huey` (Procfile, `make run`).
HUEY_IMMEDIATE runs each task at once, in the caller (the tests do that).
"""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, has_app_context
from huey import Huey, crontab
from huey.storage import RedisStorage, SqliteStorage

from .config import INSTANCE_DIR, require_secret_key


class QueueFile(SqliteStorage):
    """huey's SQLite storage, making its file on first use rather than at import."""

    def initialize_schema(self) -> None:
        """Deferred to the first connection: importing the app creates no files."""

    def _create_connection(self):
        Path(self.filename).parent.mkdir(parents=True, exist_ok=True)
        connection = super()._create_connection()
        for statement in self.ddl:  # all "create … if not exists"
            connection.execute(statement)
        return connection


class Queue(Huey):
    """huey whose worker, as it starts, refuses production without SECRET_KEY."""

    def create_consumer(self, **options):
        """The consumer `huey_consumer checkin.tasks.huey` runs, once the key is there."""
        require_secret_key()
        return super().create_consumer(**options)


def _make_huey() -> Huey:
    # Read from the environment, not the app config: the worker imports this module directly.
    if url := os.environ.get("REDIS_URL"):
        return Queue("checkin", url=url, results=False, storage_class=RedisStorage)
    return Queue(
        "checkin",
        results=False,
        storage_class=QueueFile,
        filename=str(INSTANCE_DIR / "huey.sqlite"),
    )


huey = _make_huey()
_PROCESS_STARTED = datetime.now(UTC)
_BADGES_RECOVERY, _BADGES_RECOVERED = threading.Lock(), threading.Event()
_worker_app: Flask | None = None


def init_app(app: Flask) -> None:
    """Run tasks at once in the caller when the config says HUEY_IMMEDIATE."""
    huey.immediate = bool(app.config.get("HUEY_IMMEDIATE"))


@huey.task()
def send_tickets(event_id: int, guest_ids: list[int]) -> None:
    """Send the queued ticket emails of these guests in one batch."""
    from .mail import ticket_mail

    with _app_context():
        ticket_mail.deliver(event_id, guest_ids)


@huey.task()
def send_link_again(email: str, event_id: int | None) -> None:
    """Send the ticket email (QR and personal link) again, if the address is on a guest list."""
    from .mail import ticket_mail

    with _app_context():
        ticket_mail.send_again(email, event_id)


@huey.task()
def send_registration_mail(outcome: str, registration_id: int | None, guest_id: int | None) -> None:
    """After a registration form: the confirmation link, the ticket again, or where they stand."""
    from .registration import confirmation

    with _app_context():
        confirmation.follow_up(outcome, registration_id, guest_id)


@huey.periodic_task(crontab(minute="*/5"))
def sweep_registrations() -> None:
    """Every five minutes: send again the confirmation links no mail server took; forget
    unconfirmed registrations past their expiry."""
    from .registration import confirmation

    with _app_context():
        confirmation.sweep()


@huey.task()
def send_team_invitation(invitation_id: int) -> None:
    """Email an invitation to an association's team."""
    from .associations import team_invitations

    with _app_context():
        team_invitations.deliver(invitation_id)


@huey.task()
def send_digests(event_id: int) -> None:
    """Send the event's due digests and introductions in one batch."""
    from .mail import digest_outbox

    with _app_context():
        digest_outbox.send_queued(event_id)


@huey.periodic_task(crontab(minute="*"))
def send_due_digests() -> None:
    """Every minute: queue the digests whose time has come, and send every due row (tickets
    waiting for a retry too)."""
    from .mail import digest_outbox, ticket_mail

    with _app_context():
        digest_outbox.send_due()
        ticket_mail.send_due()


@huey.task()
def send_reminders(event_id: int) -> None:
    """Send the event's due day-before reminders in one batch."""
    from .mail import reminders

    with _app_context():
        reminders.send_queued(event_id)


@huey.periodic_task(crontab(minute="*"))
def send_due_reminders() -> None:
    """Every minute: queue the day-before reminders whose time has come (9:00 in the event's
    zone, mail/reminders.py says why), and send every due reminder row."""
    from .mail import reminders

    with _app_context():
        reminders.send_due()


@huey.task()
def send_invitations(event_id: int) -> None:
    """Send a batch of the event's queued invitations (mail/invitations.py)."""
    from .mail import invitations

    with _app_context():
        invitations.send_queued(event_id)


@huey.periodic_task(crontab(minute="*"))
def send_due_invitations() -> None:
    """Every minute: a batch of every event's due invitations, so a long list trickles out."""
    from .mail import invitations

    with _app_context():
        invitations.send_due()


@huey.task(retries=5, retry_delay=120)
def send_offer(registration_id: int) -> None:
    """Email a waitlist offer ("a place is yours if you accept by …"), while it is open."""
    from .registration import waitlist_mail

    with _app_context():
        waitlist_mail.send_offer(registration_id)


@huey.task(retries=5, retry_delay=120)
def send_waitlisted(registration_id: int) -> None:
    """Tell someone just waitlisted their number in line (the confirm step queues it)."""
    from .registration import waitlist_mail

    with _app_context():
        waitlist_mail.send_waitlisted(registration_id)


@huey.task(retries=5, retry_delay=120)
def send_declined(registration_id: int) -> None:
    """Tell someone the organizer declined their registration."""
    from .registration import waitlist_mail

    with _app_context():
        waitlist_mail.send_declined(registration_id)


@huey.periodic_task(crontab(minute="*"))
def lapse_offers(now: datetime | None = None) -> None:
    """Every minute: lapse waitlist offers past their deadline and offer the places on."""
    from .models import utcnow
    from .registration import waitlist

    with _app_context():
        waitlist.lapse_due(now or utcnow())


@huey.periodic_task(crontab(minute="17"))
def purge_imports() -> None:
    """Every hour: delete guest-list uploads (and import markers) older than a day."""
    from .imports import storage

    with _app_context():
        storage.purge()


@huey.periodic_task(crontab(minute="41"))
def purge_past_retention(now: datetime | None = None) -> None:
    """Every hour: delete the personal data of every event whose retention has passed, and
    forget the members an association has not seen for its forget_members_after_days."""
    from .members import memory
    from .models import utcnow
    from .privacy import purge

    with _app_context():
        purge.purge_due(now or utcnow())
        memory.purge_due(now or utcnow())


@huey.periodic_task(crontab(minute="*/10"))
def drop_old_badge_pdfs(now: datetime | None = None) -> None:
    """Every ten minutes: delete the badge PDFs made more than a day ago."""
    from .models import utcnow
    from .print import jobs

    with _app_context():
        jobs.drop_old_pdfs(now or utcnow())


@huey.task()
def render_badge_job(job_id: int) -> None:
    """Render a big badge sheet (progress, PDF, printed marks); at a worker's start, what a
    stopped one left rendering or queued is sent again (print/rendering.recover says how)."""
    from .print import rendering

    with _app_context():
        rendering.run(job_id)


@huey.on_startup()
def _recover_badges_at_start() -> None:
    # Once per process, before any of its threads takes a job: jobs have no claim time, so a
    # second thread's pass could take a sibling's fresh claim for an abandoned one.
    from .print import rendering

    with _BADGES_RECOVERY:
        if _BADGES_RECOVERED.is_set():
            return
        _BADGES_RECOVERED.set()
        with _app_context():
            for job_id in rendering.recover(_PROCESS_STARTED):
                render_badge_job(job_id)


@huey.on_startup()
def _recover_at_start() -> None:
    """A consumer starting: what a stopped one left half-sent becomes what its kind's policy
    says (outbox.POLICIES: tickets go again, digests are marked uncertain), and what is
    queued is sent.

    Assumes one consumer process per deployment (the Procfile runs one): rows claimed before
    this process started belong to a worker that is gone. (Each worker thread runs this hook;
    the process's start time keeps a late-starting thread off rows a sibling just claimed.)
    """
    _resume(_PROCESS_STARTED)


@huey.periodic_task(crontab(minute="*/5"))
def recover_mail() -> None:
    """Every five minutes: recover stale "sending" rows and send orphaned queued ones."""
    _resume(None)


def _resume(claimed_before) -> None:
    from .mail import digest_outbox, invitations, outbox, reminders, ticket_mail

    with _app_context():
        outbox.recover(claimed_before)
        invitations.recover(claimed_before)
        for event_id, guest_ids in ticket_mail.due().items():
            send_tickets(event_id, guest_ids)
        for event_id in digest_outbox.due_events():
            send_digests(event_id)
        for event_id in reminders.due_events():
            send_reminders(event_id)
        for event_id in invitations.due_events():
            send_invitations(event_id)


@contextmanager
def _app_context() -> Iterator[None]:
    """The caller's app context (immediate mode), or the worker's own app."""
    global _worker_app
    if has_app_context():
        yield
        return
    if _worker_app is None:
        from . import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield
