"""Each event's retention period: 180 days after it ends unless its organizer says otherwise, in
1 to 3650 days, and the event page says on which day (the venue's) the data will go."""

from datetime import datetime, time, timedelta

import pytest
from conftest import REUNION_DAY, csrf_token
from sqlalchemy import select
from support.pages import readable

from checkin.extensions import db
from checkin.models import Event, utcnow
from checkin.privacy import retention

ENDS = datetime.combine(REUNION_DAY, time(23, 0))  # make_event's end, on the venue's clock


def day_after_end(days: int) -> str:
    """The venue's date `days` after the event ends, as the page writes it: 5 June 2027."""
    return (ENDS + timedelta(days=days)).strftime("%-d %B %Y")


@pytest.fixture
def retention_event(client, sign_in, make_event):
    """A signed-in organizer's event: (its slug, a CSRF token)."""
    slug = make_event("Spring Gala")
    sign_in()
    return slug, csrf_token(client, "/events")


def stored_days(app, slug: str) -> int:
    """The event's retention as stored."""
    with app.app_context():
        return db.session.scalar(select(Event.retention_days).where(Event.slug == slug))


def test_an_event_keeps_its_data_180_days_by_default(app, client, retention_event):
    """A new event keeps 180 days; its page says the day, on the venue's clock."""
    slug, _ = retention_event
    assert stored_days(app, slug) == 180
    page = readable(client.get(f"/events/{slug}"))
    assert f"Personal data will be deleted on {day_after_end(180)}" in page
    assert "Change how long it is kept" in page and "Delete personal data now" in page


def test_the_day_counts_on_the_venues_clock_across_summer_time(app, ctx, make_event):
    """23:00 in New York in November plus 180 days is 23:00 there in May (EDT), not the next
    day: the purge is due that day at the hour the event ended."""
    slug = make_event()
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    assert retention.deletion_day(event) == day_after_end(180)
    due = retention.purge_at(event).astimezone(event.ends_at.tzinfo)
    assert due - event.ends_at == timedelta(days=180, hours=-1)  # EST to EDT: an hour less


def test_the_organizer_changes_the_period(app, client, retention_event):
    """The form saves the days and the event page says the new day."""
    slug, token = retention_event
    form = client.get(f"/events/{slug}/retention")
    assert form.status_code == 200 and 'value="180"' in form.text
    reply = client.post(f"/events/{slug}/retention", data={"csrf_token": token, "days": "30"})
    assert reply.status_code == 302
    assert stored_days(app, slug) == 30
    page = readable(client.get(reply.location))
    assert f"Personal data will be deleted on {day_after_end(30)}" in page


@pytest.mark.parametrize(
    "days, message",
    [
        ("0", "Choose a number of days from 1 to 3650"),
        ("3651", "Choose a number of days from 1 to 3650"),
        ("-5", "Choose a number of days from 1 to 3650"),
        ("soon", "Write the number of days as digits, from 1 to 3650"),
        ("", "Say how many days, from 1 to 3650"),
    ],
)
def test_a_period_out_of_range_is_refused_clearly(app, client, retention_event, days, message):
    """Outside 1 to 3650 days (or not a number): 422, the form again with why, nothing saved."""
    slug, token = retention_event
    reply = client.post(f"/events/{slug}/retention", data={"csrf_token": token, "days": days})
    assert reply.status_code == 422
    assert message in readable(reply)
    assert stored_days(app, slug) == 180


def test_the_form_needs_its_token(app, client, retention_event):
    """A POST without the CSRF token changes nothing."""
    slug, _ = retention_event
    assert client.post(f"/events/{slug}/retention", data={"days": "5"}).status_code == 400
    assert stored_days(app, slug) == 180


def test_another_organizer_cannot_see_or_change_it(
    app, client, retention_event, sign_in, make_organizer
):
    """Organizer B: A's retention page and form are 404, and A's period stays."""
    slug, _ = retention_event
    make_organizer("b@example.org")
    other = app.test_client()
    sign_in(email="b@example.org", test_client=other)
    token = csrf_token(other, "/events")
    assert other.get(f"/events/{slug}/retention").status_code == 404
    reply = other.post(f"/events/{slug}/retention", data={"csrf_token": token, "days": "1"})
    assert reply.status_code == 404
    assert stored_days(app, slug) == 180


def test_due_lists_only_events_past_their_period(app, ctx, make_event):
    """due(now) holds an event once its period has passed, not before, and never twice."""
    slug = make_event()
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    at = retention.purge_at(event)
    assert retention.due(at - timedelta(minutes=1)) == []
    assert [e.slug for e in retention.due(at)] == [slug]
    event.purged_at = utcnow()
    db.session.commit()
    assert retention.due(at + timedelta(days=1)) == []
