"""Racing for places on threads, on SQLite and PostgreSQL (TEST_DATABASE_URL): the event's row
lock (or SQLite's one writer) keeps the guests and open offers within the capacity."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from checkin.database import writing
from checkin.extensions import db
from checkin.models import Event, Guest, Registration, utcnow
from checkin.registration import cancellations, places, waitlist

N = 10


def together(app, count: int, work) -> list:
    """Run work(i) on `count` threads, each in its own app context, released by a barrier."""
    barrier = threading.Barrier(count)

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                return work(i)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def counts(app, slug) -> dict[str, int]:
    """The event's registrations by status, and its guests who have not cancelled."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        by_status = dict(
            db.session.execute(
                select(Registration.status, func.count())
                .where(Registration.event_id == event.id)
                .group_by(Registration.status)
            ).all()
        )
        coming = select(func.count()).where(
            Guest.event_id == event.id, Guest.cancelled_at.is_(None)
        )
        return by_status | {"coming": db.session.scalar(coming)}


def test_ten_confirming_at_once_for_the_last_place_one_gets_it(
    app, waitlist_event, waitlist_signup
):
    """Two places taken, ten confirm at the same moment: one guest more, nine waiting."""
    waitlist_signup(waitlist_event, "Ada")
    waitlist_signup(waitlist_event, "Bo")
    ids = [
        waitlist_signup(waitlist_event, f"Racer {i}", f"racer{i}@example.org", confirm=False)[0]
        for i in range(N)
    ]

    def confirm(i):
        with writing():
            return places.place(db.session.get(Registration, ids[i]))

    results = together(app, N, confirm)
    assert sorted(results) == ["guest"] + ["waitlisted"] * (N - 1)
    assert counts(app, waitlist_event) == {"guest": 3, "waitlisted": N - 1, "coming": 3}


def test_cancels_sweeps_and_accepts_at_once_never_offer_a_place_twice(
    app, waitlist_event, waitlist_signup, tmp_path
):
    """Three guests cancel while two sweeps run: exactly three offers, to the first three in
    line. Then each offer is accepted twice at once, with sweeps: three guests, no more."""
    guests = [waitlist_signup(waitlist_event, n)[0] for n in ("Ada", "Bo", "Cy")]
    waiting = [
        waitlist_signup(waitlist_event, f"Wait {i}", f"w{i}@example.org")[0] for i in range(5)
    ]

    def cancel_or_sweep(i):
        if i < 3:
            guest = db.session.get(Registration, guests[i]).guest
            return cancellations.cancel(guest)
        return waitlist.lapse_due(utcnow())

    together(app, 5, cancel_or_sweep)
    after_cancels = counts(app, waitlist_event)
    assert after_cancels["offered"] == 3 and after_cancels["coming"] == 0
    with app.app_context():
        offered = db.session.scalars(
            select(Registration.id).where(Registration.status == "offered")
        ).all()
    assert sorted(offered) == waiting[:3]

    def accept_or_sweep(i):
        if i < 6:
            return waitlist.accept(db.session.get(Registration, offered[i % 3]))
        return waitlist.lapse_due(utcnow() + timedelta(seconds=1))

    results = together(app, 8, accept_or_sweep)
    assert results[:6] == ["accepted"] * 6
    final = counts(app, waitlist_event)
    assert final["coming"] == 3 and final["guest"] == 3 and "offered" not in final
    assert final["waitlisted"] == 2
