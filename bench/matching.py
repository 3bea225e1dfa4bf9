"""Benchmark the matching engine: suggestions for every guest of demo events of growing size.

    .venv/bin/python bench/matching.py                      # 1,000 / 5,000 / 10,000 / 20,000
    .venv/bin/python bench/matching.py --sizes 5000 --repeat 5
    .venv/bin/python bench/matching.py --database postgresql://postgres@127.0.0.1:5432/postgres

It makes a throwaway database (a temporary SQLite file, or a new PostgreSQL database it drops
after), creates one seeded demo event per size in this process, then times, best of --repeat:
loading the profiles (matching.load_profiles, one query), building the Matcher (index and
rarity weights) and suggestions (5 each, with reasons) for every guest. Per-guest time is
compared with the smallest event, measured in the same process. "Room" times what the app does
during the event: suggestions for every checked-in guest among the checked-in, findable ones.
"Best found" is the score of the top suggestion against an exhaustive search over everyone, for a
seeded sample of guests (the sampled window trades some of it for linear time). "Tag suggest"
is one as-you-type lookup (tags.suggest for help topics starting with "p"), parsing caches warm.
It exits with status 1 if loading, building and suggesting for 5,000 guests takes over --limit.
"""

import argparse
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    """Set up a database, run every size, print the table, clean up; 1 if over the limit."""
    options = _options()
    workdir = Path(tempfile.mkdtemp(prefix="checkin-bench-matching-"))
    url, drop = _database(options.database, workdir)
    os.environ.update(CHECKIN_INSTANCE=str(workdir), DATABASE_URL=url, BASE_URL="http://bench")
    os.environ["SECRET_KEY"] = "bench-" + uuid.uuid4().hex
    try:
        rows = _run(options)
    finally:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    _print(rows, options, url)
    gate = [r for r in rows if r["guests"] == 5000]
    if gate and gate[0]["total"] > options.limit:
        print(f"\nFAIL: 5,000 guests took {gate[0]['total']:.2f} s (limit {options.limit} s)")
        return 1
    return 0


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    parser.add_argument("--sizes", default="1000,5000,10000,20000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; best kept")
    parser.add_argument("--limit", type=float, default=2.0, help="seconds allowed for 5,000")
    parser.add_argument("--quality-sample", type=int, default=40, help="guests, 0 skips")
    parser.add_argument(
        "--quiet-wait",
        type=int,
        default=0,
        help="before each measurement, wait up to this many seconds for idle CPUs",
    )
    return parser.parse_args()


def _database(choice: str, workdir: Path):
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
    """Create each demo event and measure it."""
    from checkin import create_app
    from checkin.extensions import db

    app = create_app()
    rows = []
    with app.app_context():
        db.create_all()
        for size in (int(s) for s in options.sizes.split(",")):
            rows.append(_measure(size, options))
            print(_line(rows[-1], rows[0]), file=sys.stderr)
        db.session.remove()
        db.engine.dispose()
    return rows


def _measure(size: int, options) -> dict:
    """Time loading, indexing and suggesting for one demo event of that size."""
    from checkin.demo import create_demo
    from checkin.matching import engine, tags

    started = time.perf_counter()
    event_id = _event_id(create_demo(guests=size, seed=size))
    made = time.perf_counter() - started
    repeat, wait = options.repeat, options.quiet_wait
    load, profiles = _best(repeat, lambda: _cold_load(event_id), wait)
    build, matcher = _best(repeat, lambda: engine.Matcher(profiles), wait)
    suggest, found = _best(repeat, lambda: [matcher.suggest(p.id) for p in profiles], wait)
    typing, _ = _best(repeat, lambda: tags.suggest(event_id, "p", "can_help_with"), wait)
    room = _room(event_id)
    in_room, _ = _best(repeat, lambda: [matcher.suggest(i, candidates=room) for i in room], wait)
    return {
        "guests": size,
        "demo": made,
        "load": load,
        "build": build,
        "suggest": suggest,
        "total": load + build + suggest,
        "room": len(room),
        "in_room": in_room,
        "typing": typing,
        "reasons": sum(len(s.reasons) for r in found for s in r) / max(sum(map(len, found)), 1),
        "quality": _quality(matcher, profiles, options.quality_sample),
    }


def _cold_load(event_id: int) -> list:
    """load_profiles with tags' parsing caches emptied first, as in a fresh process."""
    from checkin.matching import engine, tags

    for cached in (tags.key, tags.label, tags._split):
        cached.cache_clear()
    return engine.load_profiles(event_id)


def _best(repeat: int, work, quiet_wait: int = 0):
    """The shortest of repeat runs of work(), and its result."""
    times, result = [], None
    for _ in range(max(repeat, 1)):
        _wait_for_quiet(quiet_wait)
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def _wait_for_quiet(seconds: int) -> None:
    """Wait (up to seconds) until other processes leave at least 1.5 of 2 CPUs idle."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = _cpu_times()
        time.sleep(1)
        after = _cpu_times()
        busy = 1 - (after[1] - before[1]) / max(after[0] - before[0], 1)
        if busy <= 0.25:
            return
    if seconds:
        print(f"(still busy after {seconds} s: measuring anyway)", file=sys.stderr)


def _cpu_times() -> tuple[int, int]:
    """Total and idle jiffies over all CPUs, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]  # idle + iowait


def _event_id(demo: dict) -> int:
    from sqlalchemy import select

    from checkin.extensions import db
    from checkin.models import Event

    return db.session.scalar(select(Event.id).where(Event.slug == demo["event"]["slug"]))


def _room(event_id: int) -> set[int]:
    """Checked-in guests who chose to be findable: whom the app may suggest."""
    from sqlalchemy import select

    from checkin.extensions import db
    from checkin.models import Guest

    query = select(Guest.id).where(
        Guest.event_id == event_id,
        Guest.checked_in_at.is_not(None),
        Guest.consent_findable,
    )
    return set(db.session.scalars(query))


def _quality(matcher, profiles, sample: int) -> float | None:
    """Mean ratio of the top suggestion's score to the best score over everyone."""
    if sample <= 0:
        return None
    ratios = []
    for me in random.Random(0).sample(profiles, min(sample, len(profiles))):
        best = max(matcher.score(me.id, other.id) for other in profiles if other.id != me.id)
        top = matcher.suggest(me.id, limit=1)
        if best > 0:
            ratios.append((top[0].score if top else 0.0) / best)
    return sum(ratios) / len(ratios)


def _numpy_version() -> str:
    import numpy

    return numpy.__version__


def _line(row: dict, base: dict) -> str:
    per = row["total"] / row["guests"] * 1e6
    ratio = per / (base["total"] / base["guests"] * 1e6)
    quality = f"{row['quality']:.0%}" if row["quality"] is not None else "–"
    return (
        f"| {row['guests']:>6,} | {row['load']:>6.3f} | {row['build']:>6.3f} "
        f"| {row['suggest']:>6.3f} | **{row['total']:.3f}** | {per:>5.0f} | {ratio:>5.2f} "
        f"| {row['room']:>5,} | {row['in_room']:>6.3f} | {row['reasons']:.1f} | {quality:>4} "
        f"| {row['typing'] * 1000:>5.1f} |"
    )


def _print(rows: list[dict], options, url: str) -> None:
    backend = url.split(":", 1)[0].split("+")[0]
    if backend == "sqlite":
        backend += f" {sqlite3.sqlite_version}"
    print(
        f"\n{backend}, best of {options.repeat}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, numpy {_numpy_version()}; seconds unless marked\n"
    )
    print(
        "| guests | load | index | suggest all | total | µs/guest | vs first "
        "| room | room suggest | reasons each | best found | tag suggest ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(_line(row, rows[0]))
    made = ", ".join(f"{r['guests']:,}: {r['demo']:.0f} s" for r in rows)
    print(f"\n(demo events made in {made}; not timed above)")


if __name__ == "__main__":
    sys.exit(main())
