"""Benchmark sending next-morning digests: 1,000 through the outbox to a local SMTP server.

    .venv/bin/python bench/digest.py                     # send 1,000; build a 5,000 event
    .venv/bin/python bench/digest.py --send 1000 --build 0
    .venv/bin/python bench/digest.py --database postgresql://postgres@127.0.0.1:5432/postgres

It makes a throwaway database and a seeded demo event (bench/digest_build.py's make_event: five
cards per guest among the people in the room) with --send guests, every one of them
opted in, checked in and findable, so each has a digest. It queues the digests and times
digest_outbox.send_queued: for each row the claim, the build, the SMTP conversation and the
record, over one connection to an aiosmtpd server in another process (so the server's work is
not counted against ours) that counts what it receives and throws it away. Then, unless
--build 0, digest_build.build_all's figure for an event of --build guests. Exits with status
1 if the sending takes over --limit seconds or not every digest arrives exactly once.
"""

import argparse
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> int:
    """Start the server, set up a database, send, print the figures; 1 if over the limit."""
    options = _options()
    workdir = Path(tempfile.mkdtemp(prefix="checkin-bench-send-"))
    received, greetings = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0)
    port, ready = _free_port(), multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(port, received, greetings, ready))
    server.start()
    from digest_build import throwaway_database

    url, drop = throwaway_database(options.database, workdir)
    os.environ.update(CHECKIN_INSTANCE=str(workdir), DATABASE_URL=url, SECRET_KEY=uuid.uuid4().hex)
    os.environ.update(BASE_URL="https://alumni.example.edu", SMTP_URL=f"smtp://127.0.0.1:{port}")
    try:
        if not ready.wait(30):
            raise RuntimeError("The SMTP server did not start")
        figures = _run(options)
    finally:
        server.terminate()
        server.join(10)
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    figures |= {"received": received.value, "connections": greetings.value}
    _print(figures, options)
    ok = figures["seconds"] <= options.limit and figures["received"] == figures["sent"]
    if not ok or figures["sent"] != options.send:
        print(f"\nFAIL: limit {options.limit} s, and every digest once ({options.send})")
        return 1
    return 0


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    parser.add_argument("--send", type=int, default=1000, help="digests to send")
    parser.add_argument("--build", type=int, default=5000, help="guests to build for, 0: no")
    parser.add_argument("--limit", type=float, default=15.0, help="seconds allowed to send")
    parser.add_argument(
        "--build-workers", type=int, default=2, help="processes building (this machine: 2 cores)"
    )
    return parser.parse_args()


def _run(options) -> dict:
    """Make the event, queue and send its digests, then (maybe) the build figure."""
    from digest_build import build_all, make_event

    from checkin import create_app
    from checkin.extensions import db
    from checkin.mail import digest_outbox
    from checkin.models import Event

    app = create_app()
    with app.app_context():
        db.create_all()
        event_id = make_event(options.send)
        _everyone_reads(event_id)
        event = db.session.get(Event, event_id)
        digest_outbox.queue_digests(event)
        memory = _rss_mb()
        started = time.perf_counter()
        counts = digest_outbox.send_queued(event_id)
        seconds = time.perf_counter() - started
        figures = {"sent": counts.sent, "line": counts.line(), "seconds": seconds}
        figures |= {"rss_before": memory, "rss_after": _rss_mb()}
        if options.build:
            figures["build"] = build_all(make_event(options.build), options.build_workers)
        db.session.remove()
        db.engine.dispose()
    return figures


def _everyone_reads(event_id: int) -> None:
    """Every guest opted in, checked in and findable: each has a digest to receive."""
    from sqlalchemy import update

    from checkin.extensions import db
    from checkin.models import Guest, utcnow

    db.session.execute(
        update(Guest)
        .where(Guest.event_id == event_id)
        .values(consent_digest=True, consent_findable=True, checked_in_at=utcnow())
    )
    db.session.commit()


def _serve(port: int, received, greetings, ready) -> None:
    """An aiosmtpd server that counts connections and messages and keeps nothing."""
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            with greetings.get_lock():
                greetings.value += 1
            session.host_name = hostname
            return responses

        async def handle_DATA(self, server, session, envelope):
            with received.get_lock():
                received.value += 1
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _print(f: dict, options) -> None:
    per = f["seconds"] / max(f["sent"], 1) * 1000
    print(f"database: {'SQLite' if options.database == 'sqlite' else 'PostgreSQL'}")
    print(f"send:  {f['line']}")
    print(
        f"       {f['sent']:,} digests in {f['seconds']:.2f} s ({per:.2f} ms each, "
        f"{f['sent'] / f['seconds']:.0f}/s) over {f['connections']} SMTP connection(s); "
        f"the server received {f['received']:,}"
    )
    print(f"       peak memory {f['rss_before']:.0f} MB before sending, {f['rss_after']:.0f} after")
    if build := f.get("build"):
        print(
            f"build: {build['guests']:,} guests, {build['built']:,} digests built in "
            f"{build['total']:.2f} s by {build['workers']} process(es) "
            f"(Builder {build['prepare']:.2f} s), "
            f"{build['bytes'] / max(build['built'], 1) / 1024:.1f} KB each"
        )


if __name__ == "__main__":
    sys.exit(main())
