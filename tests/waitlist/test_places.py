"""Places and the waitlist's order: who gets a place, who waits, and the registration's state."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from checkin.extensions import db
from checkin.models import Event, Guest, utcnow
from checkin.registration import places, status

from .conftest import registration_row


def test_three_places_five_people_three_guests_two_waiting_in_order(
    app, waitlist_event, waitlist_signup
):
    """Capacity 3, five confirm: the first three are guests, the last two wait in order."""
    results = [waitlist_signup(waitlist_event, n)[1] for n in ("Ada", "Bo", "Cy", "Di", "Ed")]
    assert results == ["guest", "guest", "guest", "waitlisted", "waitlisted"]
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == waitlist_event))
        assert places.taken(event) == 3 and places.left(event) == 0
        names = db.session.scalars(select(Guest.name).where(Guest.event_id == event.id)).all()
        assert sorted(names) == ["Ada", "Bo", "Cy"]


def test_the_waitlist_counts_who_is_ahead(app, waitlist_event, waitlist_signup):
    """The fourth person is next in line; the fifth has one ahead."""
    ids = [waitlist_signup(waitlist_event, n)[0] for n in ("Ada", "Bo", "Cy", "Di", "Ed")]
    with app.app_context():
        from checkin.models import Registration

        fourth, fifth = (db.session.get(Registration, i) for i in ids[3:])
        assert places.waiting_before(fourth) == 0
        assert places.waiting_before(fifth) == 1


def test_confirming_twice_changes_nothing(app, waitlist_event, waitlist_signup):
    """A second confirmation of a guest leaves one guest and the same status."""
    registration_id, first = waitlist_signup(waitlist_event, "Ada")
    with app.app_context():
        from checkin.database import writing
        from checkin.models import Registration

        with writing():
            again = places.place(db.session.get(Registration, registration_id))
        assert (first, again) == ("guest", "guest")
        assert db.session.scalar(select(db.func.count()).select_from(Guest)) == 1


def test_approval_required_waits_for_the_organizer(app, waitlist_event, waitlist_signup):
    """With approval by hand, a confirmed registration waits in "approval", taking no place."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == waitlist_event))
        event.approval_required = True
        db.session.commit()
    registration_id, result = waitlist_signup(waitlist_event, "Ada")
    assert result == "approval"
    assert registration_row(app, registration_id).attendee_id is None


@pytest.mark.parametrize(
    ("switch", "deadline_hours", "expected"),
    [
        ("off", None, "off"),
        ("open", None, "open"),
        ("paused", None, "paused"),
        ("closed", None, "closed"),
        ("open", 1, "open"),
        ("open", -1, "closed"),
        ("paused", -1, "closed"),
    ],
)
def test_registration_state(app, waitlist_event, switch, deadline_hours, expected):
    """The switch says open, paused or closed; a passed deadline closes it whatever it says."""
    now = utcnow()
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == waitlist_event))
        event.registration = switch
        if deadline_hours is not None:
            event.registration_deadline = now + timedelta(hours=deadline_hours)
        assert status.state(event, now) == expected
        assert status.is_open(event, now) == (expected == "open")


def test_registration_closes_when_the_event_ends(app, waitlist_event):
    """No deadline: open until the event's end, closed after it."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == waitlist_event))
        assert status.state(event, event.ends_at - timedelta(minutes=1)) == "open"
        assert status.state(event, event.ends_at) == "closed"
