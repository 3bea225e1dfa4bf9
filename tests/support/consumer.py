"""A real huey consumer process for tests that need the worker: the test process's `tasks.huey`
is pointed at the queue the consumer builds from the environment it is given (the file under
CHECKIN_INSTANCE, or Redis). The root conftest registers the `queue` and `worker` fixtures."""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from huey.storage import RedisStorage

from checkin import tasks

WAIT = 30  # seconds for the worker to do something before the test fails instead of hanging
CONSUMER = [str(Path(sys.executable).parent / "huey_consumer"), "checkin.tasks.huey"]
CONSUMER += ["--delay", "0.05", "--max-delay", "0.25"]  # poll often: no waiting out backoff
REDIS_LOCK = "checkin-tests:worker-queue"  # one test at a time on the shared "checkin" queue


def use_file_queue(monkeypatch, instance: Path):
    """Make this process enqueue onto instance/huey.sqlite (and not run tasks at once)."""
    monkeypatch.setattr(tasks.huey, "immediate", False)  # before storage: the setter resets it
    path = instance / "huey.sqlite"
    monkeypatch.setattr(tasks.huey, "storage", tasks.QueueFile("checkin", filename=str(path)))
    return tasks.huey


class Consumers:
    """Start consumer processes on an app's database and key; stop() ends every one."""

    def __init__(self, app, database_url: str, instance: Path, log: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "HUEY_IMMEDIATE")}
        self.env |= {
            "CHECKIN_INSTANCE": str(instance),
            "DATABASE_URL": database_url,
            "SECRET_KEY": app.config["SECRET_KEY"],  # ticket codes on badges depend on it
            "BASE_URL": app.config["BASE_URL"],  # and their URLs on this
        }
        self.log = log
        self.started: list[tuple[subprocess.Popen, object]] = []

    def start(self, workers: int = 1) -> subprocess.Popen:
        """One more consumer, as the Procfile starts it (with this many worker threads)."""
        log = open(self.log, "ab")  # noqa: SIM115 (closed in stop)
        command = [*CONSUMER, "--workers", str(workers)]
        process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        self.started.append((process, log))
        return process

    def output(self) -> str:
        """The end of the consumers' log, for a failure message."""
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def stop(self) -> None:
        """End every consumer started (SIGTERM, then SIGKILL if it hangs)."""
        for process, log in self.started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
            log.close()


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
        command = [*CONSUMER, "--workers", "1"]  # as the Procfile starts it
        started.append((subprocess.Popen(command, env=env, stdout=log, stderr=log), log))
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


def wait_for(check, what: str, tmp_path) -> None:
    """Poll until check() is true; fail with the workers' logs after WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            logs = "\n".join(p.read_text(errors="replace") for p in tmp_path.glob("worker-*.log"))
            pytest.fail(f"Waited {WAIT}s for {what}; worker logs:\n{logs[-4000:]}")
        time.sleep(0.05)
