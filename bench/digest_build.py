"""Benchmark building next-morning digests: every digest an event sends, as MIME bytes.

    .venv/bin/python bench/digest_build.py                    # 1,000 then 5,000 guests
    .venv/bin/python bench/digest_build.py --sizes 5000 --repeat 3 --workers 1,2
    .venv/bin/python bench/digest_build.py --database postgresql://postgres@127.0.0.1:5432/postgres

It makes a throwaway database, then per size a seeded demo event (checkin.demo: a third of the
guests checked in, most findable, 80 % asking for the digest) topped up to five cards per
guest among the people in the room (notes, quick tags, stars; 40 % answered by a card the
other way, so mutual). It then times, best of --repeat, what the sender does for every
guest: digest.skip_reason, then Builder.build (one Builder per process, made inside the
timing), messages.digest and as_bytes(). Readers with nothing to say cost their query. With
--workers 2 the guests are split over two forked processes, each with its own Builder and
connection. "vs 1,000" compares the time per digest with the first size's, same process count.
Exits with status 1 when 5,000 guests take over --limit seconds in the fastest setting.

bench/digest.py (the sending benchmark) imports make_event() and build_all() from here.
"""

import argparse
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOTES = [
    "Wants an intro to someone at a climate fund.",
    "Ran the student newspaper in '09 - ask about the archive project.",
    "Send the link to the mentoring program.",
    "Coffee next week? She's in town until Friday.",
    "Hiring two data engineers; send Sam's CV.",
    "Great chat about moving to Seattle.",
    "",
    "",
]


def main() -> int:
    """Set up a database, measure each size, print the figures; 1 if over the limit."""
    options = _options()
    workdir = Path(tempfile.mkdtemp(prefix="checkin-bench-digest-"))
    url, drop = throwaway_database(options.database, workdir)
    os.environ.update(CHECKIN_INSTANCE=str(workdir), DATABASE_URL=url)
    os.environ.update(BASE_URL="https://alumni.example.edu", SECRET_KEY=uuid.uuid4().hex)
    try:
        rows = _run(options)
    finally:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    gate = [r for r in rows if r["guests"] == 5000]
    best = min(gate, key=lambda r: r["total"]) if gate else None
    if best and best["total"] > options.limit:
        print(f"\nFAIL: 5,000 guests took {best['total']:.2f} s (limit {options.limit} s)")
        return 1
    return 0


def make_event(guests: int, cards_per_guest: int = 5, seed: int | None = None) -> int:
    """A seeded demo event with cards among the people in the room; returns the event's id.

    Call inside an app context. The demo's own cards are topped up to cards_per_guest per
    guest, inserted directly (one statement), 40 % answered by a card the other way.
    """
    from sqlalchemy import insert, select

    from checkin import demo
    from checkin.extensions import db
    from checkin.models import Card, Event, Guest
    from checkin.room import cards

    seed = guests if seed is None else seed
    slug = demo.create_demo(guests=guests, seed=seed)["event"]["slug"]
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    query = select(Guest.id, Guest.checked_in_at).where(Guest.event_id == event.id)
    room = [(i, at) for i, at in db.session.execute(query) if at is not None]
    pairs = select(Card.author_id, Card.subject_id).where(Card.event_id == event.id)
    made = set(db.session.execute(pairs).tuples())  # the demo records a few cards itself
    possible = len(room) * (len(room) - 1) // 2  # a small room caps it (sampling stays quick)
    wanted = min(guests * cards_per_guest, possible) - len(made)
    rng, rows = random.Random(seed), []
    tags = list(cards.QUICK_TAGS)
    while len(rows) < wanted:
        (author, at), (subject, _) = rng.sample(room, 2)
        pairs = [(author, subject)] + ([(subject, author)] if rng.random() < 0.4 else [])
        for a, s in pairs:
            if (a, s) in made:
                continue
            made.add((a, s))
            rows.append(_card(rng, event.id, a, s, at, tags))
    if rows:
        db.session.execute(insert(Card), rows[:wanted])
    db.session.commit()
    return event.id


def _card(rng, event_id, author, subject, checked_in_at, tags) -> dict:
    when = checked_in_at + timedelta(minutes=rng.uniform(1, 150))
    return {
        "event_id": event_id,
        "author_id": author,
        "subject_id": subject,
        "nonce": uuid.uuid4().hex,
        "note": rng.choice(NOTES),
        "tags": rng.sample(tags, rng.choice((0, 0, 1, 1, 2))),
        "starred": rng.random() < 0.2,
        "via": "scan",
        "created_at": when,
        "updated_at": when,
    }


def build_all(event_id: int, workers: int = 1) -> dict:
    """Build every digest the event sends (skip_reason first, as the sender does; then
    Builder, build, messages.digest, as_bytes), in this process or split over forked workers
    (each with its own Builder and database connection); the figures, summed."""
    from flask import current_app

    from checkin.extensions import db

    if workers <= 1:
        return _build_share(event_id, 0, 1)
    global _APP
    _APP = current_app._get_current_object()
    db.session.remove()
    db.engine.dispose()  # the children open their own connections
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        shares = pool.starmap(_build_in_child, [(event_id, k, workers) for k in range(workers)])
    total = time.perf_counter() - started
    summed = {key: sum(share[key] for share in shares) for key in shares[0]}
    return summed | {
        "guests": shares[0]["guests"],
        "total": total,
        "workers": workers,
        "prepare": max(share["prepare"] for share in shares),
    }


_APP = None  # the app a forked worker builds in


def _build_in_child(event_id: int, share: int, shares: int) -> dict:
    with _APP.app_context():
        return _build_share(event_id, share, shares)


def _build_share(event_id: int, share: int, shares: int) -> dict:
    """Build the digests of every shares-th guest, from the share-th on."""
    from email import policy

    from sqlalchemy import select

    from checkin.digest import content
    from checkin.extensions import db
    from checkin.mail import messages
    from checkin.models import Event, Guest

    started = time.perf_counter()
    event = db.session.get(Event, event_id)
    query = select(Guest).where(Guest.event_id == event_id).order_by(Guest.id)
    readers = list(db.session.scalars(query))
    builder = content.Builder(event)
    prepared = time.perf_counter()
    built = size = contacts = skipped = 0
    for reader in readers[share::shares]:
        if content.skip_reason(reader):  # no consent, no address, unsubscribed
            skipped += 1
            continue
        d = builder.build(reader)
        if d is None:
            continue
        size += len(messages.digest(d).as_bytes(policy=policy.SMTP))
        built, contacts = built + 1, contacts + len(d.contacts)
    return {
        "guests": len(readers),
        "built": built,
        "skipped": skipped,
        "prepare": prepared - started,
        "total": time.perf_counter() - started,
        "bytes": size,
        "contacts": contacts,
        "workers": 1,
    }


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; best kept")
    parser.add_argument("--limit", type=float, default=5.0, help="seconds allowed for 5,000")
    parser.add_argument(
        "--workers",
        default=f"1,{os.cpu_count() or 1}",
        help="process counts to measure, e.g. 1,2 (the gate takes the fastest)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=int,
        default=0,
        help="before each measurement, wait up to this many seconds for idle CPUs",
    )
    return parser.parse_args()


def throwaway_database(choice: str, workdir: Path):
    """A database URL for this run, and a function that removes it."""
    if choice == "sqlite":
        return f"sqlite:///{workdir / 'bench.sqlite'}", lambda: None
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(choice.replace("postgresql+psycopg://", "postgresql://"))
    name = f"checkin_bench_{uuid.uuid4().hex[:10]}"
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.set(database=name).render_as_string(hide_password=False), drop


def _run(options) -> list[dict]:
    """Make each event, build all its digests --repeat times per worker count, print a line each."""
    from checkin import create_app
    from checkin.extensions import db

    app = create_app()
    rows = []
    with app.app_context():
        db.create_all()
        print(_HEADER)
        for size in (int(s) for s in options.sizes.split(",")):
            event_id = make_event(size, CARDS)
            for workers in (int(w) for w in options.workers.split(",")):
                runs = []
                for _ in range(max(options.repeat, 1)):
                    _wait_for_quiet(options.quiet_wait)
                    runs.append(build_all(event_id, workers))
                row = min(runs, key=lambda r: r["total"]) | {"cards": size * CARDS}
                base = next((r for r in rows if r["workers"] == workers), row)
                rows.append(row)
                print(_line(row, base), flush=True)
        db.session.remove()
        db.engine.dispose()
    return rows


CARDS = 5  # cards per guest
_HEADER = (
    f"{'guests':>9} {'cards':>7} {'procs':>5} {'digests':>7} {'skipped':>7} {'prepare s':>9}"
    f" {'total s':>8} {'ms/digest':>9} {'vs 1,000':>8} {'KB/msg':>6} {'vcards':>6}"
)


def _line(row: dict, base: dict) -> str:
    """One row of figures; "vs 1,000": time per digest against the first size's."""
    per = row["total"] / max(row["built"], 1) * 1000
    ratio = per / (base["total"] / max(base["built"], 1) * 1000)
    kb = row["bytes"] / max(row["built"], 1) / 1024
    return (
        f"{row['guests']:>9,} {row['cards']:>7,} {row['workers']:>5} {row['built']:>7,}"
        f" {row['skipped']:>7,} {row['prepare']:>9.3f} {row['total']:>8.3f} {per:>9.3f}"
        f" {ratio:>8.2f} {kb:>6.1f} {row['contacts']:>6,}"
    )


def _wait_for_quiet(seconds: int) -> None:
    """Wait (up to seconds) until other processes leave at least 1.5 of the CPUs idle."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = _cpu_times()
        time.sleep(1)
        after = _cpu_times()
        if 1 - (after[1] - before[1]) / max(after[0] - before[0], 1) <= 0.25:
            return
    if seconds:
        print(f"(still busy after {seconds} s: measuring anyway)", file=sys.stderr)


def _cpu_times() -> tuple[int, int]:
    """Total and idle jiffies over all CPUs, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]


if __name__ == "__main__":
    sys.exit(main())
