"""Making a badge sheet: claim the job, render it with progress, store the PDF, mark the badges
printed; and, at a worker's start, what a stopped worker left half-made.

Rendering is idempotent (the same guests give the same PDF), so a job a dead worker left
"rendering" is simply made again, once; a second interruption fails it with a message, in case
the job itself is what kills the worker. Jobs carry no claim time, so "left by a dead worker"
means asked for before this consumer process started (one consumer per deployment, as the
Procfile runs it; tasks.py runs this once per process, before its threads take jobs).
"""

import time

from flask import current_app
from sqlalchemy import select, update

from ..database import writing, writing_rows
from ..extensions import db
from ..models import BadgeJob, Guest, utcnow
from . import badges

ACTIVE = ("queued", "rendering")
PROGRESS_EVERY = 0.5  # seconds between progress writes: the page polls once a second
CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
INTERRUPTED = "The worker stopped while making these badges; making them again."
FAILED_TWICE = (
    "The worker stopped twice while making these badges. Press Try again; if it stops again, "
    "tell whoever runs checkin (the worker's log says why)."
)


def run(job_id: int) -> None:
    """Render a queued job: claim it, write progress as pages finish, store the PDF."""
    if not _claim(job_id):
        return  # done, failed, or another worker has it
    job = db.session.get(BadgeJob, job_id)
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False  # progress commits
    try:
        people = _guests(job)
        if not people:
            _fail(job_id, "None of these guests are on the list any more.")
            return
        pdf = badges.render_badges(people, job.event, job.layout, progress=_progress(job_id))
        _finish(job_id, pdf, [person.id for person in people])
    except Exception as error:  # any failure is the organizer's to see, with a way to retry
        current_app.logger.exception("Badge job %s failed", job_id)
        db.session.rollback()
        _fail(job_id, f"Making the badges failed ({type(error).__name__}: {error})"[:500])
    finally:
        session.expire_on_commit = keep


def _claim(job_id: int) -> bool:
    """Take a queued job (a conditional UPDATE: one taker however many try)."""
    with writing_rows() as connection:
        claimed = connection.execute(
            update(BadgeJob)
            .where(BadgeJob.id == job_id, BadgeJob.status == "queued")
            .values(status="rendering", done=0)
        ).rowcount
    return claimed == 1


def _guests(job: BadgeJob) -> list[Guest]:
    """The job's guests still on its event's list, in the order fixed when it was asked for."""
    ids = list(job.attendee_ids)
    found: dict[int, Guest] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found |= {
            person.id: person
            for person in db.session.scalars(
                select(Guest).where(Guest.event_id == job.event_id, Guest.id.in_(chunk))
            )
        }
    return [found[i] for i in ids if i in found]


def _progress(job_id: int):
    """A progress callback that writes `done` at most every PROGRESS_EVERY seconds."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY and done < total:
            return
        last[0] = now
        with writing_rows() as connection:
            connection.execute(
                update(BadgeJob)
                .where(BadgeJob.id == job_id, BadgeJob.status == "rendering")
                .values(done=done, total=total)
            )

    return report


def _finish(job_id: int, pdf: bytes, guest_ids: list[int]) -> None:
    """Store the PDF and mark its guests' badges printed, in one transaction."""
    now = utcnow()
    with writing():
        db.session.execute(
            update(BadgeJob)
            .where(BadgeJob.id == job_id, BadgeJob.status.in_(ACTIVE))
            .values(
                status="done",
                pdf=pdf,
                done=len(guest_ids),
                total=len(guest_ids),
                error="",
                finished_at=now,
            )
        )
        for start in range(0, len(guest_ids), CHUNK):
            db.session.execute(
                update(Guest)
                .where(Guest.id.in_(guest_ids[start : start + CHUNK]))
                .values(badge_printed_at=now)
            )


def _fail(job_id: int, message: str) -> None:
    """Mark a job failed with a message the organizer reads."""
    with writing_rows() as connection:
        connection.execute(
            update(BadgeJob)
            .where(BadgeJob.id == job_id)
            .values(status="failed", error=message, finished_at=utcnow())
        )


def recover(started_before) -> list[int]:
    """At a consumer's start: what a stopped worker left is queued again; returns ids to send.

    A job still "rendering" from before this process started was abandoned mid-way: it is
    queued again once, and failed if that already happened (see the module docstring). A job
    still "queued" from before then may have lost its task (Redis keeps nothing on disk), so
    it is sent again; the claim keeps a duplicate from rendering it twice.
    """
    with writing():
        db.session.execute(
            update(BadgeJob)
            .where(BadgeJob.status == "rendering", BadgeJob.created_at < started_before)
            .where(BadgeJob.error == INTERRUPTED)
            .values(status="failed", error=FAILED_TWICE, finished_at=utcnow())
        )
        db.session.execute(
            update(BadgeJob)
            .where(BadgeJob.status == "rendering", BadgeJob.created_at < started_before)
            .values(status="queued", done=0, error=INTERRUPTED)
        )
    return list(
        db.session.scalars(
            select(BadgeJob.id)
            .where(BadgeJob.status == "queued", BadgeJob.created_at < started_before)
            .order_by(BadgeJob.id)
        )
    )
