"""Racing door phones against a real threaded HTTP server: one admission each, no 500s, no locks."""

import json
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from checkin.extensions import db
from checkin.models import CheckInAttempt, Guest


@pytest.fixture
def rush(make_crowd, make_pass):
    """An event with 200 guests and two door passes: (slug, [codes], [tokens])."""
    slug, guests = make_crowd(200, "Guest {}")
    codes = [code for _, code in guests]
    return slug, codes, [make_pass(slug, "Door 1"), make_pass(slug, "Door 2")]


class Phone:
    """A door phone: one keep-alive connection to the server, posting check-ins."""

    def __init__(self, server, slug: str, token: str):
        self.connection = server.connect(timeout=20)
        self.path = f"/api/v1/events/{slug}/checkins"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def check_in(self, code: str, nonce: str | None = None) -> tuple[int, dict]:
        """Post one scan; the status and the decoded reply."""
        body = json.dumps({"code": code, "nonce": nonce or str(uuid.uuid4())})
        self.connection.request("POST", self.path, body, self.headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())


def all_at_once(count: int, work) -> list:
    """Run work(i) on `count` threads released together by a barrier."""
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def recorded(app, **where) -> list[CheckInAttempt]:
    with app.app_context():
        query = select(CheckInAttempt).filter_by(**where)
        return list(db.session.scalars(query))


def test_twenty_phones_scanning_one_code_admit_once(app, server, rush):
    """20 threads post the same code at the same moment: one admitted, 19 already admitted."""
    slug, codes, tokens = rush
    phones = [Phone(server, slug, tokens[i % 2]) for i in range(20)]
    replies = all_at_once(20, lambda i: phones[i].check_in(codes[0]))
    assert [status for status, _ in replies] == [200] * 20
    results = sorted(reply["result"] for _, reply in replies)
    assert results == ["admitted"] + ["already_admitted"] * 19
    admitted_at = {reply["admitted_at"] for _, reply in replies}
    assert len(admitted_at) == 1  # everyone is told the same moment
    assert len(recorded(app)) == 20


def test_two_phones_racing_over_200_codes_admit_each_guest_once(app, server, rush):
    """Two doors scan the same 200 guests in the same order at once: 200 admissions, no more."""
    slug, codes, tokens = rush
    phones = [Phone(server, slug, token) for token in tokens]
    started = time.monotonic()
    replies = all_at_once(2, lambda i: [phones[i].check_in(code) for code in codes])
    assert time.monotonic() - started < 20
    flat = replies[0] + replies[1]
    assert {status for status, _ in flat} == {200}
    admitted = [reply["attendee"]["id"] for _, reply in flat if reply["result"] == "admitted"]
    assert len(admitted) == 200 and len(set(admitted)) == 200
    assert sum(reply["result"] == "already_admitted" for _, reply in flat) == 200
    assert len(recorded(app, result="admitted")) == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(Guest.checked_in_at))) == 200


def test_one_nonce_sent_ten_times_at_once_is_one_attempt(app, server, rush):
    """A phone retrying the same request concurrently gets identical answers and one record."""
    slug, codes, tokens = rush
    nonce = str(uuid.uuid4())
    phones = [Phone(server, slug, tokens[0]) for _ in range(10)]
    replies = all_at_once(10, lambda i: phones[i].check_in(codes[1], nonce))
    assert {status for status, _ in replies} == {200}
    assert all(reply == replies[0][1] for _, reply in replies)
    assert replies[0][1]["result"] == "admitted"
    assert len(recorded(app, nonce=nonce)) == 1


def test_mixed_traffic_from_many_phones_never_fails(app, server, rush):
    """Fresh scans, repeats, retries and garbage from 16 threads: every answer a 200."""
    slug, codes, tokens = rush
    phones = [Phone(server, slug, tokens[i % 2]) for i in range(16)]
    retry = str(uuid.uuid4())

    def burst(i):
        texts = [codes[(i * 7 + k) % 40] for k in range(10)] + ["garbage", "A" * 32]
        out = [phones[i].check_in(text) for text in texts]
        return out + [phones[i].check_in(codes[3], retry)]

    replies = [reply for batch in all_at_once(16, burst) for reply in batch]
    assert {status for status, _ in replies} == {200}
    assert not any("locked" in json.dumps(reply) for _, reply in replies)
    assert len(recorded(app)) == 16 * 12 + 1
    assert len(recorded(app, result="admitted")) == 40


# Another process (think: a second gunicorn worker) with SQLite's busy handler switched off, so
# it could only succeed by queueing on the write lock that writing() shares across processes.
WRITER = """
import sys, time
from pathlib import Path
from sqlalchemy import text
from checkin import create_app
from checkin.config import TestConfig
from checkin.database import writing
from checkin.extensions import db
app = create_app(TestConfig(sys.argv[1], Path(sys.argv[2])))
with app.app_context():
    db.session.execute(text("PRAGMA busy_timeout=0"))
    db.session.commit()
    print("ready", flush=True)
    sys.stdin.readline()
    asked = time.monotonic()
    with writing():
        busy_timeout = db.session.execute(text("PRAGMA busy_timeout")).scalar()
        db.session.execute(text("INSERT INTO organizers (email, name, password_hash, created_at)"
                                " VALUES ('b@example.org', '', 'x', '2026-01-01')"))
    print(f"{time.monotonic() - asked:.3f} {busy_timeout}", flush=True)
"""


def test_sqlite_writers_in_two_processes_queue_for_the_write_lock(tmp_path):
    """A writer in another process waits for the lock file rather than failing "locked"."""
    from checkin import create_app
    from checkin.config import TestConfig
    from checkin.database import writing

    url = f"sqlite:///{tmp_path / 'queue.sqlite'}"
    app = create_app(TestConfig(url, tmp_path / "instance"))
    with app.app_context():
        db.create_all()
    other = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(tmp_path / "other")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert other.stdout.readline().strip() == "ready"
    with app.app_context(), writing():
        other.stdin.write("go\n")
        other.stdin.flush()
        time.sleep(0.5)  # hold the write transaction while the other process asks for it
    waited, busy_timeout = other.stdout.readline().split()
    assert other.wait(timeout=10) == 0
    assert busy_timeout == "0"  # SQLite itself would have failed at once
    assert 0.3 < float(waited) < 5
