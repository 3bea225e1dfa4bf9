"""Badge sheets an organizer asks for: who is on them, made now or on the worker, kept to download.

A request fixes its guests and layout when it is made, so the sheet shows who was meant even if
the list changes while it renders. Up to IN_REQUEST_LIMIT badges render inside the request (a
second or so); bigger sheets go to the huey worker, which writes its progress as pages finish.

"Not printed yet" (selection walk_ins) means every guest with no badge printed: walk-ins, and
anyone added to the list since the last sheet. A badge counts as printed when a sheet holding it
is made (the organizer has the PDF in hand from then on); the door's label for a walk-in counts
too, so the next "not printed yet" sheet leaves them out.

Pressing "Make badges" twice makes one sheet: while a sheet for the same guests and layout is
queued or rendering, or was finished in the last DOUBLE_SUBMIT_WINDOW, asking again returns it.
Making the sheet itself is rendering's.

A sheet's PDF carries live ticket codes, so it is not kept: once sent whole to the organizer (or
the door) it is dropped, and the job says "downloaded"; one nobody downloads is dropped a day
after it was made ("expired"). Asking again makes the same sheet anew.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

from flask import abort
from sqlalchemy import and_, func, or_, select, update

from ..database import writing
from ..extensions import db
from ..models import BadgeJob, DoorPass, Event, Guest, fold, utcnow
from . import badges, rendering
from .rendering import ACTIVE

SELECTIONS = ("everyone", "walk_ins", "attendee")
IN_REQUEST_LIMIT = 12  # badges: at most two Letter sheets, well under a second to render
DOUBLE_SUBMIT_WINDOW = timedelta(seconds=10)
STUCK_AFTER = timedelta(minutes=10)  # 1,000 badges take about 12 s; this is far beyond that
WAITING_TOO_LONG = timedelta(seconds=30)  # queued this long: the worker may not be running
RECENT = 10
PDF_KEPT = timedelta(days=1)  # a sheet nobody downloads is dropped after this
DROPPED = ("downloaded", "expired")  # done, and the PDF is gone


class NothingToPrint(ValueError):
    """The selection holds nobody: say so instead of making an empty sheet."""


def resolve(event: Event, selection: str, attendee_id: int | None = None) -> list[int]:
    """The ids of the guests a selection means now, in badge-table order (by surname)."""
    query = select(Guest.id, Guest.name).where(Guest.event_id == event.id)
    if selection != "attendee":  # the lists leave out who gave their place back; one by name not
        query = query.where(Guest.cancelled_at.is_(None))
    if selection == "walk_ins":
        query = query.where(Guest.badge_printed_at.is_(None))
    elif selection == "attendee":
        query = query.where(Guest.id == (attendee_id or 0))
    elif selection != "everyone":
        raise ValueError(f"Unknown selection {selection!r}")
    rows = db.session.execute(query).all()
    return [row.id for row in sorted(rows, key=lambda row: (_surname_key(row.name), row.id))]


def _surname_key(name: str) -> tuple[str, str]:
    """Sort "Ada Lovelace" under L, as badges are laid out on the table at the door."""
    folded = fold(name)
    return (folded.rsplit(" ", 1)[-1], folded)


def ask(event: Event, selection: str, layout: str, attendee_id: int | None = None) -> BadgeJob:
    """A sheet for these guests in this layout, started; the same one again if just asked for."""
    job, new = _fix(event, selection, layout, attendee_id)
    if new:
        start(job)
    return job


def _fix(event: Event, selection: str, layout: str, attendee_id: int | None):
    """The job for this request, fixing its guests now: (job, True) if it is a new one."""
    if layout not in badges.LAYOUTS:
        raise ValueError(f"Unknown layout {layout!r}")
    with writing():
        _lock(event)
        ids = resolve(event, selection, attendee_id)
        job = _same_request(event, selection, layout, ids)
        if job is not None:
            return job, False
        if not ids:
            raise NothingToPrint(_nobody(selection))
        job = BadgeJob(event_id=event.id, layout=layout, selection=selection, attendee_ids=ids)
        job.total = len(ids)
        db.session.add(job)
    return job, True


def _lock(event: Event) -> None:
    """Serialize requests for one event's sheets (PostgreSQL; SQLite's write lock already does)."""
    db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())


def _same_request(event: Event, selection: str, layout: str, ids: list[int]) -> BadgeJob | None:
    """A sheet just asked for with the same guests and layout (a double submit), if any."""
    now = utcnow()
    candidates = db.session.scalars(
        select(BadgeJob)
        .where(
            BadgeJob.event_id == event.id,
            BadgeJob.selection == selection,
            BadgeJob.layout == layout,
            or_(
                and_(BadgeJob.status.in_(ACTIVE), BadgeJob.created_at > now - STUCK_AFTER),
                and_(
                    BadgeJob.status == "done",
                    BadgeJob.created_at > now - DOUBLE_SUBMIT_WINDOW,
                ),
            ),
        )
        .order_by(BadgeJob.id.desc())
        .limit(5)
    )
    for job in candidates:
        # "Not printed yet" pressed twice: the first sheet marked them, so the second finds
        # nobody; it is still the same request.
        if list(job.attendee_ids) == ids or (selection == "walk_ins" and not ids):
            return job
    return None


def _nobody(selection: str) -> str:
    """Why a selection came out empty, in the organizer's words."""
    if selection == "walk_ins":
        return "Every guest has a badge already: nobody was added since the last sheet."
    if selection == "attendee":
        return "Pick the guest to print a badge for."
    return "The guest list is empty: add or import guests first."


def start(job: BadgeJob) -> None:
    """Render a small sheet now, in this request; queue a big one for the worker."""
    if job.status != "queued":
        return
    if job.total <= IN_REQUEST_LIMIT:
        rendering.run(job.id)
    else:
        from .. import tasks

        tasks.render_badge_job(job.id)
    db.session.refresh(job)


def retry(event: Event, job_id: int) -> BadgeJob:
    """Queue a failed job again, with the same guests and layout, and start it."""
    with writing():
        db.session.execute(
            update(BadgeJob)
            .where(BadgeJob.id == job_id, BadgeJob.event_id == event.id)
            .where(BadgeJob.status == "failed")
            .values(status="queued", done=0, error="", finished_at=None)
        )
    job = job_of(event, job_id)
    start(job)
    return job


def job_of(event: Event, job_id: int) -> BadgeJob:
    """One of this event's jobs, or 404 (another event's job is not found either)."""
    job = db.session.scalar(
        select(BadgeJob).where(BadgeJob.id == job_id, BadgeJob.event_id == event.id)
    )
    if job is None:
        abort(404)
    return job


def jobs_of(event: Event, limit: int = RECENT) -> list[BadgeJob]:
    """The event's latest jobs, newest first (without their PDFs)."""
    return list(
        db.session.scalars(
            select(BadgeJob)
            .where(BadgeJob.event_id == event.id)
            .order_by(BadgeJob.id.desc())
            .limit(limit)
        )
    )


def pdf_of(job: BadgeJob) -> bytes:
    """A finished job's PDF, or 404 while it has none."""
    if job.status != "done" or not job.pdf:
        abort(404)
    return job.pdf


def handed_over(job: BadgeJob) -> Iterator[bytes]:
    """A finished job's PDF (404 while it has none), dropped from the database once sent whole."""
    return _then_dropped(job.id, pdf_of(job))


def _then_dropped(job_id: int, pdf: bytes) -> Iterator[bytes]:
    yield pdf
    # Only reached when the server asks for more, after the whole file went out: a download
    # cut short keeps the PDF for another try.
    with writing():
        db.session.execute(
            update(BadgeJob)
            .where(BadgeJob.id == job_id, BadgeJob.status == "done")
            .values(status="downloaded", pdf=None)
        )


def drop_old_pdfs(now: datetime) -> int:
    """Drop the PDFs of sheets made more than PDF_KEPT ago; how many were dropped."""
    with writing():
        return db.session.execute(
            update(BadgeJob)
            .where(BadgeJob.status == "done", BadgeJob.finished_at < now - PDF_KEPT)
            .values(status="expired", pdf=None)
        ).rowcount


def filename(job: BadgeJob) -> str:
    """The download's name: event, what, layout and job number."""
    what = {"everyone": "badges", "walk_ins": "new-badges", "attendee": "badge"}[job.selection]
    return f"{job.event.slug}-{what}-{job.layout}-{job.id}.pdf"


def stuck(job: BadgeJob) -> bool:
    """True when a job has run far longer than any sheet takes (the worker may be gone)."""
    return job.status in ACTIVE and utcnow() - job.created_at > STUCK_AFTER


def waiting_long(job: BadgeJob) -> bool:
    """True when a job has sat in the queue long enough to suspect no worker is running."""
    return job.status == "queued" and utcnow() - job.created_at > WAITING_TOO_LONG


def counts(event: Event) -> dict[str, int]:
    """How many guests "everyone" and "not printed yet" would print now."""
    everyone, unprinted = db.session.execute(
        select(func.count(), func.count().filter(Guest.badge_printed_at.is_(None))).where(
            Guest.event_id == event.id, Guest.cancelled_at.is_(None)
        )
    ).one()
    return {"everyone": everyone, "walk_ins": unprinted}


def guest(event: Event, attendee_id: int) -> Guest | None:
    """One of this event's guests (to show who "one guest" is), or None."""
    return db.session.scalar(
        select(Guest).where(Guest.id == attendee_id, Guest.event_id == event.id)
    )


def guest_names(job: BadgeJob, limit: int = 1) -> list[str]:
    """The names of a job's first guests (for "Badge for Ada Lovelace")."""
    ids = list(job.attendee_ids)[:limit]
    names = dict(
        db.session.execute(select(Guest.id, Guest.name).where(Guest.id.in_(ids))).tuples().all()
    )
    return [names[i] for i in ids if i in names]


def door_label(door_pass: DoorPass, attendee_id: int) -> BadgeJob:
    """A single label for one of the door's guests (a walk-in, say), made now; 404 for others."""
    event = door_pass.event
    person = db.session.scalar(
        select(Guest.id).where(Guest.id == attendee_id, Guest.event_id == event.id)
    )
    if person is None:
        abort(404)
    return ask(event, "attendee", "label", attendee_id)
