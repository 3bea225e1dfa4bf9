"""The real queue -> worker path: the test process enqueues, a `huey_consumer checkin.tasks.huey`
subprocess sends the ticket emails to a real SMTP server, on huey's SQLite file and on Redis.

How the two processes share a queue: `tasks.huey` is built at import from the environment, so
the test swaps its `storage` (monkeypatch) for one on the same queue the consumer builds from
the environment we give it: the huey.sqlite file under CHECKIN_INSTANCE, or the "checkin" queue
in the Redis at TEST_REDIS_URL. Nothing else in the test process changes, so "Send tickets" is
pressed as an organizer would press it. The kill tests use the file queue only: what they
prove is about the ticket rows, the same whichever queue carried the task.
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import csrf_token
from huey.storage import RedisStorage
from mailserver import Inbox, start
from sqlalchemy import select

from checkin import tasks
from checkin.extensions import db
from checkin.mail import ticket_mail
from checkin.models import Event, Outbox

GUESTS = ["ada@example.org", "zoe@example.org", "grace@example.org"]
WAIT = 30  # seconds for the worker to do something before the test fails instead of hanging
# As the Procfile starts it, but polling the queue often so the tests don't wait out huey's backoff.
CONSUMER = [str(Path(sys.executable).parent / "huey_consumer"), "checkin.tasks.huey"]
CONSUMER += ["--workers", "1", "--delay", "0.05", "--max-delay", "0.25"]
REDIS_LOCK = "checkin-tests:worker-queue"  # one test at a time on the shared "checkin" queue


class StallingInbox(Inbox):
    """An SMTP server that, once told to, takes two messages and holds the third's DATA."""

    def __init__(self) -> None:
        super().__init__()
        self.stall_third = False
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.stall_third and len(self.messages) == 2 and not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def inbox():
    """A running SMTP server on 127.0.0.1 (StallingInbox: see stall_third)."""
    box = StallingInbox()
    controller = start(box)
    yield box
    box.release.set()
    controller.stop()


@pytest.fixture(params=["file", "redis"])
def queue(request, tmp_path, monkeypatch):
    """The test process enqueues onto the queue the consumer will read; returns its env."""
    monkeypatch.setattr(tasks.huey, "immediate", False)  # before storage: the setter resets it
    if request.param == "file":
        path = tmp_path / "instance" / "huey.sqlite"  # where CHECKIN_INSTANCE puts the queue
        monkeypatch.setattr(tasks.huey, "storage", tasks.QueueFile("checkin", filename=str(path)))
        yield {}
        return
    url = os.environ.get("TEST_REDIS_URL") or pytest.skip(
        "TEST_REDIS_URL is not set, so there is no Redis to run the worker on (.ci/run sets it)"
    )
    storage = RedisStorage("checkin", url=url)  # the name RedisHuey("checkin") uses
    with _locked(storage.conn):
        storage.flush_all()  # only huey's "checkin" keys on this test database
        monkeypatch.setattr(tasks.huey, "storage", storage)
        yield {"REDIS_URL": url}
        storage.flush_all()


@contextmanager
def _locked(redis):
    """Hold a Redis lock so two test runs never share the fixed "checkin" queue at once."""
    token, deadline = uuid.uuid4().hex, time.monotonic() + 2 * WAIT
    while not redis.set(REDIS_LOCK, token, nx=True, ex=4 * WAIT):
        if time.monotonic() > deadline:
            pytest.fail(f"Another test run holds {REDIS_LOCK} in Redis")
        time.sleep(0.1)
    try:
        yield
    finally:
        if redis.get(REDIS_LOCK) == token.encode():
            redis.delete(REDIS_LOCK)


@pytest.fixture
def worker(app, database_url, tmp_path, inbox, queue):
    """Start a consumer process as the Procfile does; every one is ended after the test."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "HUEY_IMMEDIATE")}
    env |= {
        "CHECKIN_INSTANCE": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": app.config["SECRET_KEY"],  # TestConfig's: ticket codes depend on it
        "BASE_URL": app.config["BASE_URL"],  # and ticket URLs on this
        "SMTP_URL": f"smtp://127.0.0.1:{inbox.port}",
        **queue,
    }
    started = []

    def launch() -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 (closed below)
        started.append((subprocess.Popen(CONSUMER, env=env, stdout=log, stderr=log), log))
        return started[-1][0]

    yield launch
    for process, log in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:  # a hung worker: SIGKILL, it cannot ignore that
                process.kill()
                process.wait(10)
        log.close()


@pytest.fixture
def party(app, client, sign_in, make_event, make_attendee):
    """An event with three guests; the organizer is signed in. Returns what the tests need."""
    slug = make_event("Fall Reunion")
    urls = {email: make_attendee(slug, email=email)[1] for email in GUESTS}
    sign_in()
    with app.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.slug == slug))
    return {"slug": slug, "event_id": event_id, "urls": urls}


def press_send_tickets(client, party) -> str:
    """Press "Send tickets" on the event's tickets page; returns the page it leads to."""
    data = {"csrf_token": csrf_token(client, f"/events/{party['slug']}"), "scope": "unsent"}
    reply = client.post(
        f"/events/{party['slug']}/tickets", data={**data, "nonce": uuid.uuid4().hex}
    )
    assert reply.status_code == 302
    return client.get(reply.headers["Location"]).get_data(as_text=True)


def statuses(app) -> dict[str, str]:
    """Each recipient's latest ticket email status (its outbox row), read fresh."""
    with app.app_context():
        rows = db.session.execute(select(Outbox.recipient, Outbox.status).order_by(Outbox.id))
        return dict(rows.all())


def wait_for(check, what: str, tmp_path) -> None:
    """Poll until check() is true; fail with the workers' logs after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            logs = "\n".join(p.read_text(errors="replace") for p in tmp_path.glob("worker-*.log"))
            pytest.fail(f"Waited {WAIT}s for {what}; worker logs:\n{logs[-4000:]}")
        time.sleep(0.05)


def test_a_consumer_process_sends_what_the_app_queued(
    app, client, party, inbox, worker, queue, tmp_path
):
    """The press only queues; a separate worker process sends each guest one email, with the
    ticket the app issued (same database and key), and marks each sent."""
    page = press_send_tickets(client, party)
    assert "Sending 3 ticket emails." in page and inbox.messages == []
    worker()
    wait_for(lambda: set(statuses(app).values()) == {"sent"}, "three sent rows", tmp_path)
    assert sorted(statuses(app)) == sorted(GUESTS)
    assert Counter(m["To"].addresses[0].addr_spec for m in inbox.messages) == dict.fromkeys(
        GUESTS, 1
    )
    for email, url in party["urls"].items():
        [message] = inbox.to(email)
        assert url.rsplit("/", 1)[-1] in message.get_body(("plain",)).get_content()
    assert tasks.huey.pending_count() == 0
    on_redis = "REDIS_URL" in queue
    assert (tmp_path / "instance" / "huey.sqlite").exists() is not on_redis


@pytest.fixture
def killed_mid_batch(app, client, party, inbox, worker, tmp_path):
    """A worker sends two of three, stalls on the third and is SIGKILLed; a new one starts."""
    inbox.stall_third = True
    press_send_tickets(client, party)
    first = worker()
    assert inbox.stalled.wait(WAIT), "the worker never reached the third message"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    worker()
    return party


def send_to_a_late_guest(app, party, make_attendee, tmp_path, inbox) -> None:
    """Queue one more guest's ticket and wait for it: the new worker has done what came before."""
    late, _ = make_attendee(party["slug"], "Late Guest", email="late@example.org")
    with app.app_context():
        queued = ticket_mail.queue(db.session.get(Event, party["event_id"]), [late], False, "")
    tasks.send_tickets(party["event_id"], queued)
    wait_for(lambda: inbox.to("late@example.org"), "the late guest's email", tmp_path)
    # The server has the message a moment before the worker records it: wait for the record too.
    wait_for(lambda: statuses(app).get("late@example.org") == "sent", "its row", tmp_path)


@pytest.mark.parametrize("queue", ["file"], indirect=True)
def test_a_rerun_after_a_killed_worker_sends_nothing_twice(
    app, killed_mid_batch, inbox, make_attendee, tmp_path
):
    """Running the killed batch's task again (a retry) claims nothing already claimed."""
    assert len(inbox.messages) == 2
    with app.app_context():
        ids = list(db.session.scalars(select(Outbox.attendee_id)))
    tasks.send_tickets(killed_mid_batch["event_id"], ids)
    send_to_a_late_guest(app, killed_mid_batch, make_attendee, tmp_path, inbox)
    copies = Counter(m["To"].addresses[0].addr_spec for m in inbox.messages)
    assert max(copies.values()) == 1 and copies["late@example.org"] == 1


@pytest.mark.parametrize("queue", ["file"], indirect=True)
def test_after_a_killed_worker_the_new_one_sends_the_half_sent_ticket(
    app, client, killed_mid_batch, inbox, make_attendee, tmp_path
):
    """The ticket the killed worker was sending is queued again by the new worker as it starts
    and sent: the count shows every guest sent and nothing waiting, "Send tickets" finds no one
    left, and every guest ends with exactly one."""
    send_to_a_late_guest(app, killed_mid_batch, make_attendee, tmp_path, inbox)
    wait_for(lambda: set(statuses(app).values()) == {"sent"}, "every ticket sent", tmp_path)
    with app.app_context():
        summary = ticket_mail.summary(db.session.get(Event, killed_mid_batch["event_id"]))
    assert (summary.sent, summary.waiting) == (4, 0)  # the three guests and the late one
    assert "No ticket emails to send" in press_send_tickets(client, killed_mid_batch)
    copies = Counter(m["To"].addresses[0].addr_spec for m in inbox.messages)
    assert copies == dict.fromkeys([*GUESTS, "late@example.org"], 1)
