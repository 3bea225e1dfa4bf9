"""Benchmark digests and room suggestions when guests are members who met at earlier events.

    .venv/bin/python bench/members.py                       # 5,000 guests, 10 earlier events
    .venv/bin/python bench/members.py --guests 5000 --earlier 10 --repeat 2
    .venv/bin/python bench/members.py --database postgresql://postgres@127.0.0.1:5432/postgres

It makes a throwaway database with bench/digest_build.py's event (a seeded demo: a third of
the guests checked in, five cards per guest in the room; the demo's own Spring Mixer earlier
event with half of them), and times, best of --repeat, every digest the event sends (one
process) and --sample room suggestions (met_before.of + the matcher, as the home page asks).
Then it adds --earlier events of the same association, each with a random half of today's
guests checked in and five cards per guest among them; two in three guests are remembered
members linked at every event they attended (so each attended 0 to --earlier + 1 earlier
events). Then it times the same again. Figures go to docs/benchmarks.md.
"""

import argparse
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
sys.path.insert(0, str(ROOT / "bench"))

import digest_build  # noqa: E402


def main() -> int:
    """Set up, measure without and with the history, print both."""
    options = _options()
    workdir = Path(tempfile.mkdtemp(prefix="checkin-bench-members-"))
    url, drop = digest_build.throwaway_database(options.database, workdir)
    os.environ.update(CHECKIN_INSTANCE=str(workdir), DATABASE_URL=url)
    os.environ.update(BASE_URL="https://alumni.example.edu", SECRET_KEY=uuid.uuid4().hex)
    try:
        _run(options)
    finally:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _run(options) -> None:
    from checkin import create_app
    from checkin.extensions import db

    app = create_app()
    with app.app_context():
        db.create_all()
        event_id = digest_build.make_event(options.guests, digest_build.CARDS)
        print(
            f"{'history':>24} {'digests':>7} {'digests s':>9} {'ms/digest':>9} {'ms/suggest':>10}"
        )
        _measure(app, event_id, options, "demo's one earlier event")
        started = time.perf_counter()
        added = add_history(event_id, options.earlier)
        print(
            f"(history: {added:,} guest rows at {options.earlier} more events, "
            f"{time.perf_counter() - started:.1f} s to make)"
        )
        _measure(app, event_id, options, f"+{options.earlier} earlier events")
        db.session.remove()
        db.engine.dispose()


def _measure(app, event_id: int, options, label: str) -> None:
    digests = min(
        (digest_build.build_all(event_id, options.workers) for _ in range(options.repeat)),
        key=lambda r: r["total"],
    )
    suggest = min(_suggest_all(app, event_id, options.sample) for _ in range(options.repeat))
    per = digests["total"] / max(digests["built"], 1) * 1000
    print(
        f"{label:>24} {digests['built']:>7,} {digests['total']:>9.3f} {per:>9.3f} {suggest:>10.2f}",
        flush=True,
    )


def _suggest_all(app, event_id: int, sample: int) -> float:
    """Milliseconds per suggestions() for `sample` checked-in guests (the matcher warm)."""
    from sqlalchemy import select

    from checkin.extensions import db
    from checkin.models import Guest
    from checkin.room import suggestions

    query = select(Guest).where(Guest.event_id == event_id, Guest.checked_in_at.is_not(None))
    readers = list(db.session.scalars(query.order_by(Guest.id).limit(sample)))
    with app.test_request_context():
        suggestions.suggestions(readers[0], fresh=True)  # build the matcher once
        started = time.perf_counter()
        for reader in readers:
            suggestions.suggestions(reader)
        return (time.perf_counter() - started) / max(len(readers), 1) * 1000


def add_history(event_id: int, earlier: int, seed: int = 11) -> int:
    """`earlier` events of the association before this one, members linked; guest rows made."""
    from sqlalchemy import insert, select, update

    from checkin.events import events
    from checkin.extensions import db
    from checkin.models import Card, Event, Guest

    rng = random.Random(seed)
    event = db.session.get(Event, event_id)
    people = list(db.session.scalars(select(Guest).where(Guest.event_id == event_id)))
    remembered = {p.email for p in people if rng.random() < 2 / 3}
    member_ids = _members(event, remembered)
    made = 0
    for k in range(earlier):
        start = event.starts_at - timedelta(days=90 * (k + 1))
        then = events.create_event(
            event.organizer,
            f"Mixer {k + 1}",
            event.venue,
            start,
            start + timedelta(hours=4),
            event.timezone,
        )
        there = rng.sample(people, len(people) // 2)
        rows = [_copy(p, then.id, start, member_ids.get(p.email)) for p in there]
        db.session.execute(insert(Guest), rows)
        ids = list(db.session.scalars(select(Guest.id).where(Guest.event_id == then.id)))
        db.session.execute(insert(Card), _cards(rng, then.id, ids, start))
        made += len(rows)
    for email, member_id in member_ids.items():  # linked at every event, today's included
        db.session.execute(
            update(Guest)
            .where(
                Guest.email == email,
                Guest.event_id.in_(
                    select(Event.id).where(Event.association_id == event.association_id)
                ),
            )
            .values(member_id=member_id, consent_remember=True)
        )
    db.session.commit()
    return made


def _members(event, emails: set[str]) -> dict[str, int]:
    from sqlalchemy import insert, select

    from checkin.extensions import db
    from checkin.models import Member, utcnow

    now, known = (
        utcnow(),
        set(
            db.session.scalars(
                select(Member.email).where(Member.association_id == event.association_id)
            )
        ),
    )
    rows = [
        {
            "association_id": event.association_id,
            "email": e,
            "name": "",
            "profile": {},
            "created_at": now,
            "last_seen_at": now,
            "remembered_at": now,
        }
        for e in emails - known
    ]
    if rows:
        db.session.execute(insert(Member), rows)
    found = select(Member.email, Member.id).where(Member.association_id == event.association_id)
    return {email: i for email, i in db.session.execute(found) if email in emails}


def _copy(person, event_id: int, start, member_id) -> dict:
    from checkin.members import memory

    fields = {name: getattr(person, name) for name in ("name", "email", *memory.PROFILE_FIELDS)}
    return fields | {
        "event_id": event_id,
        "checked_in_at": start,
        "source": "import",
        "search_key": "",
        "extra": {},
        "consent_findable": True,
    }


def _cards(rng, event_id: int, ids: list[int], start) -> list[dict]:
    made, rows = set(), []
    for author in ids:
        for subject in rng.sample(ids, 5):
            if subject != author and (author, subject) not in made:
                made.add((author, subject))
                rows.append(
                    {
                        "event_id": event_id,
                        "author_id": author,
                        "subject_id": subject,
                        "nonce": uuid.uuid4().hex,
                        "note": "",
                        "tags": [],
                        "starred": False,
                        "via": "scan",
                        "created_at": start,
                        "updated_at": start,
                    }
                )
    return rows


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    parser.add_argument("--guests", type=int, default=5000)
    parser.add_argument("--earlier", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2, help="runs; best kept")
    parser.add_argument("--sample", type=int, default=200, help="guests whose suggestions to time")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes building the digests (as the sender can)"
    )
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
