"""When the digest goes out: 9:00 local the morning after the event, across time zones and DST."""

from datetime import UTC, datetime, timedelta

import pytest

from checkin.digest import schedule
from checkin.models import Event


def event_ending(local_end: str, zone: str, digest_at=None) -> Event:
    """An unsaved event that ends at local_end (YYYY-MM-DD HH:MM) in zone."""
    from zoneinfo import ZoneInfo

    ends = datetime.fromisoformat(local_end).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return Event(
        name="Reunion",
        ends_at=ends,
        starts_at=ends - timedelta(hours=4),
        timezone=zone,
        digest_at=digest_at,
    )


@pytest.mark.parametrize(
    ("local_end", "zone", "expected_utc"),
    [
        # US daylight saving ends at 02:00 on Sunday 1 November 2026 (Saturday night).
        ("2026-10-31 22:00", "America/Los_Angeles", "2026-11-01 17:00"),  # 9:00 PST = UTC-8
        # The night it starts (8 March 2026): 9:00 PDT = UTC-7.
        ("2026-03-07 22:00", "America/Los_Angeles", "2026-03-08 16:00"),
        # A week before, still PDT.
        ("2026-10-24 22:00", "America/Los_Angeles", "2026-10-25 16:00"),
        # India has no daylight saving: 9:00 IST = 03:30 UTC.
        ("2026-11-14 22:00", "Asia/Kolkata", "2026-11-15 03:30"),
        # Europe's change on 25 October 2026: 9:00 CET = 08:00 UTC.
        ("2026-10-24 23:30", "Europe/Berlin", "2026-10-25 08:00"),
        ("2026-06-01 21:00", "UTC", "2026-06-02 09:00"),
    ],
)
def test_default_is_nine_the_next_morning_local(local_end, zone, expected_utc):
    """The default digest time is 9:00 the next morning in the event's own zone."""
    event = event_ending(local_end, zone)
    expected = datetime.fromisoformat(expected_utc).replace(tzinfo=UTC)
    assert schedule.default_time(event) == expected
    assert schedule.local(expected, event).strftime("%H:%M") == "09:00"


def test_an_event_ending_after_midnight_gets_that_morning():
    """An event that runs past midnight gets its digest at 9:00 the same date, not a day later."""
    event = event_ending("2026-11-01 01:30", "America/Los_Angeles")
    assert schedule.default_time(event) == datetime(2026, 11, 1, 17, 0, tzinfo=UTC)


def test_the_organizers_choice_wins():
    """A time the organizer set replaces the default."""
    chosen = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    event = event_ending("2026-10-31 22:00", "America/Los_Angeles", digest_at=chosen)
    assert schedule.digest_time(event) == chosen


def test_due_only_after_the_time_and_only_once():
    """Due once the time has come, not before, not once queued, not weeks late."""
    event = event_ending("2026-11-14 22:00", "Asia/Kolkata")
    due = schedule.default_time(event)
    assert not schedule.is_due(event, due - timedelta(seconds=1))
    assert schedule.is_due(event, due)
    assert not schedule.is_due(event, due + schedule.LATE)
    event.digest_queued_at = due
    assert not schedule.is_due(event, due + timedelta(minutes=1))
