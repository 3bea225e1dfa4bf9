"""Big badge sheets on the real worker: the organizer's press queues a task, a separate
`huey_consumer checkin.tasks.huey` process renders it into the same database, and a consumer
that starts after one died mid-sheet makes that sheet again.

The queue is huey's SQLite file (as tests/mail/test_ticket_worker.py sets it up; that file
also proves the same task path on Redis): the test process swaps `tasks.huey`'s storage for the
file the consumer builds from the CHECKIN_INSTANCE we give it.
"""

import time

import pytest
from conftest import csrf_token
from sqlalchemy import select, update
from support.consumer import Consumers
from support.pages import HTMX
from support.pdf_qr import page_image, pages, qr_in_image

from checkin.extensions import db
from checkin.models import BadgeJob, Guest

WAIT = 60  # seconds for the worker before the test fails instead of hanging
GUESTS = 30


@pytest.fixture
def consumers(app, database_url, tmp_path, file_queue):
    """Start a consumer process as the Procfile does; ended after the test."""
    consumers = Consumers(app, database_url, tmp_path / "instance", tmp_path / "worker.log")
    yield consumers
    consumers.stop()


@pytest.fixture
def big_reunion(app, client, sign_in, make_event, make_guest):
    """An event with 30 guests; its organizer signed in."""
    slug = make_event("Big Reunion")
    ids = [make_guest(slug, f"Guest{n:02d} Łukasz-Zoë")[0] for n in range(GUESTS)]
    sign_in()
    return {"slug": slug, "ids": ids, "token": csrf_token(client, "/events")}


def job_row(app) -> BadgeJob:
    """The one badge job, read fresh."""
    with app.app_context():
        job = db.session.scalar(select(BadgeJob))
        db.session.expunge_all()
        return job


def watch(app, tmp_path, until: str) -> list[tuple[str, int]]:
    """Poll the job until its status is `until`; returns each (status, done) seen, in order."""
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + WAIT
    while True:
        job = job_row(app)
        if not seen or seen[-1] != (job.status, job.done):
            seen.append((job.status, job.done))
        if job.status == until:
            return seen
        if time.monotonic() > deadline or job.status == "failed":
            log = (tmp_path / "worker.log").read_text(errors="replace")[-4000:]
            pytest.fail(f"Waited for {until!r}; saw {seen}: {job.error}; worker log:\n{log}")
        time.sleep(0.02)


def test_the_worker_renders_a_big_sheet(app, client, big_reunion, file_queue, consumers, tmp_path):
    """The press only queues (the page says it waits); the worker process renders 30 badges on
    5 Letter sheets, marks all 30 printed, and the download has their ticket QR codes."""
    reply = client.post(
        f"/events/{big_reunion['slug']}/badges",
        data={"csrf_token": big_reunion["token"], "selection": "everyone", "layout": "letter-6"},
    )
    assert job_row(app).status == "queued" and file_queue.pending_count() == 1
    assert "Waiting to start" in client.get(reply.location).text
    consumers.start()
    seen = watch(app, tmp_path, "done")
    assert ("rendering", 0) in seen and seen[-1] == ("done", GUESTS)
    job = job_row(app)
    fragment = client.get(f"/events/{big_reunion['slug']}/badges/jobs/{job.id}", headers=HTMX).text
    assert "hx-trigger" not in fragment and "Download PDF" in fragment
    pdf = client.post(
        f"/events/{big_reunion['slug']}/badges/jobs/{job.id}/badges.pdf",
        data={"csrf_token": big_reunion["token"]},
    ).data
    path = tmp_path / "badges.pdf"
    path.write_bytes(pdf)
    assert pages(path) == 5
    decoded = qr_in_image(page_image(path, tmp_path, dpi=150))
    assert len(decoded.split()) == 6
    assert all(url.startswith(f"{app.config['BASE_URL']}/t/") for url in decoded.split())
    with app.app_context():
        printed = db.session.scalars(select(Guest.badge_printed_at))
        assert all(moment == job.finished_at for moment in printed)


def test_a_new_worker_remakes_the_sheet_a_dead_one_left(
    app, client, big_reunion, file_queue, consumers, tmp_path
):
    """A sheet left "rendering" by a worker that died (its task gone) is queued again by the next
    consumer at its start and made: done, no error, all 30 badges."""
    client.post(
        f"/events/{big_reunion['slug']}/badges",
        data={"csrf_token": big_reunion["token"], "selection": "everyone", "layout": "a6-4"},
    )
    file_queue.flush()  # the dead worker had taken the task off the queue
    with app.app_context():
        db.session.execute(update(BadgeJob).values(status="rendering", done=12))
        db.session.commit()
    assert file_queue.pending_count() == 0
    consumers.start(workers=2)  # as the Procfile runs it: both threads run the start-up hooks
    watch(app, tmp_path, "done")
    job = job_row(app)
    assert (job.done, job.total, job.error) == (GUESTS, GUESTS, "")
    assert job.finished_at is not None and job.finished_at > job.created_at
    with app.app_context():
        assert db.session.scalar(select(BadgeJob.pdf)).startswith(b"%PDF")
