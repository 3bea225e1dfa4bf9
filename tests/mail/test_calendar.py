"""The .ics calendar invitation on every ticket email: RFC 5545 that icalendar parses, in the
event's own zone (with its VTIMEZONE), at the venue's wall-clock time, across DST."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import REUNION_DAY
from icalendar import Calendar

from checkin.mail import calendar
from checkin.models import Event, Guest, utcnow

from .test_ticket_mail import send


def invitation_in(email) -> tuple[str, Calendar]:
    """The file name and the parsed calendar of the email's text/calendar attachment."""
    [part] = [p for p in email.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part.get_filename(), Calendar.from_ical(part.get_payload(decode=True))


def test_every_ticket_email_carries_the_ics(client, ticket_party, inbox, smtp_url):
    """An imported guest's ticket: <slug>.ics, METHOD:PUBLISH, 18:00 in New York on the day."""
    assert send(client, ticket_party).status_code == 302
    [email] = inbox.to("ada@example.org")
    name, cal = invitation_in(email)
    assert name == f"{ticket_party['slug']}.ics"
    assert str(cal["METHOD"]) == "PUBLISH"
    [entry] = cal.walk("VEVENT")
    start = entry.decoded("DTSTART")
    assert start.tzinfo.key == "America/New_York"
    assert (start.date(), start.time()) == (REUNION_DAY, time(18, 0))
    assert entry.decoded("DTEND") - start == timedelta(hours=5)
    assert str(entry["SUMMARY"]) == "Fall Reunion" and str(entry["LOCATION"]) == "Alumni Hall"
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["America/New_York"]
    assert b"DTSTART;TZID=America/New_York:" in cal.to_ical()


def test_the_uid_stays_the_same_when_the_ticket_is_sent_again(
    client, ticket_party, inbox, smtp_url
):
    """Sent twice, the entry has one UID: calendars update it rather than add a second."""
    send(client, ticket_party)
    send(client, ticket_party, scope="all", confirm="y")
    emails = inbox.to("zoe@example.org")
    assert len(emails) == 2
    uids = {str(invitation_in(e)[1].walk("VEVENT")[0]["UID"]) for e in emails}
    assert len(uids) == 1
    other = str(invitation_in(inbox.to("ada@example.org")[0])[1].walk("VEVENT")[0]["UID"])
    assert other not in uids


def _next(month: int, day: int) -> date:
    """The next such date at least 30 days ahead of the clock (any day, any year)."""
    today = utcnow().date()
    candidate = date(today.year, month, day)
    return (
        candidate if candidate - today >= timedelta(days=30) else date(today.year + 1, month, day)
    )


@pytest.mark.parametrize(("month", "offset"), [(7, timedelta(hours=2)), (1, timedelta(hours=1))])
def test_local_time_is_right_in_summer_and_winter(ctx, month, offset):
    """Berlin at 19:00 in July (CEST, +2) and in January (CET, +1): the same wall-clock time."""
    zone = ZoneInfo("Europe/Berlin")
    start = datetime.combine(_next(month, 15), time(19, 0), zone)
    event = Event(
        id=7,
        slug="sommerfest",
        name="Sommerfest",
        venue="Mensa",
        starts_at=start.astimezone(UTC),
        ends_at=(start + timedelta(hours=3)).astimezone(UTC),
        timezone="Europe/Berlin",
        registration="open",
    )
    cal = Calendar.from_ical(calendar.invitation(event, Guest(id=3, name="Ada")))
    entry = cal.walk("VEVENT")[0]
    local = entry.decoded("DTSTART")
    assert local.time() == time(19, 0) and local.utcoffset() == offset
    assert local.astimezone(UTC) == start.astimezone(UTC)
    assert str(entry["URL"]) == "http://127.0.0.1:5000/e/sommerfest"  # public, never a ticket
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
