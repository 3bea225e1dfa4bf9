"""A real huey consumer process for tests that need the worker: the test process's `tasks.huey`
is pointed at the file queue the consumer builds from the CHECKIN_INSTANCE it is given."""

import os
import subprocess
import sys
from pathlib import Path

from checkin import tasks

CONSUMER = [str(Path(sys.executable).parent / "huey_consumer"), "checkin.tasks.huey"]
CONSUMER += ["--delay", "0.05", "--max-delay", "0.25"]  # poll often: no waiting out backoff


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
