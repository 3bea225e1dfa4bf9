"""The day-before reminder: 9:00 in the event's zone across DST, once per guest who has not
cancelled, unsubscribed or bounced, on a real SMTP server; the organizer's line and switch."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import PASSWORD, csrf_token
from sqlalchemy import select, update
from support.pdf_qr import qr_in_image

from checkin.accounts import users
from checkin.events import events, tickets
from checkin.extensions import db
from checkin.mail import outbox, reminders
from checkin.models import Event, Guest, Outbox, Suppression, utcnow

NEXT_YEAR = datetime.now(UTC).year + 1  # always to come, whatever today is


def switch_day(zone: str, year: int, forward: bool) -> date:
    """The day in `year` on which the zone's clocks go forward (or back), found by walking."""
    tz, day = ZoneInfo(zone), date(year, 1, 1)
    while day.year == year:
        noon = datetime.combine(day, time(12), tzinfo=tz).utcoffset()
        before = datetime.combine(day - timedelta(days=1), time(12), tzinfo=tz).utcoffset()
        if noon != before and (noon > before) == forward:
            return day
        day += timedelta(days=1)
    raise AssertionError(f"{zone} has no clock change in {year}")


def event_on(day: date, zone: str, hour: int = 18) -> Event:
    """An unsaved event starting at hour (local) on day in zone."""
    starts = datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return Event(
        name="Reunion",
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
        timezone=zone,
        reminder_enabled=True,
    )


@pytest.mark.parametrize(
    ("zone", "forward", "utc_hour"),
    [
        ("Europe/Berlin", True, 7),  # the switch day is CEST (UTC+2) by 9:00
        ("Europe/Berlin", False, 8),  # CET (UTC+1)
        ("America/New_York", True, 13),  # EDT (UTC-4)
        ("America/New_York", False, 14),  # EST (UTC-5)
    ],
)
def test_the_reminder_is_at_nine_local_on_a_dst_switch_day(zone, forward, utc_hour):
    """An event the day after a clock change is reminded at 9:00 local on the change's day."""
    switched = switch_day(zone, NEXT_YEAR, forward)
    event = event_on(switched + timedelta(days=1), zone)
    at = reminders.reminder_time(event)
    assert at == datetime.combine(switched, time(utc_hour), tzinfo=UTC)
    assert at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") == f"{switched} 09:00"


def test_due_from_nine_the_day_before_until_the_day_begins():
    """Not before 9:00 the day before, not once the event's day has begun, never when off."""
    event = event_on(date(NEXT_YEAR, 6, 10), "America/New_York", hour=7)
    at = reminders.reminder_time(event)
    assert not reminders.is_due(event, at - timedelta(seconds=1))
    assert reminders.is_due(event, at)
    assert reminders.is_due(event, reminders.event_day_begins(event) - timedelta(seconds=1))
    assert not reminders.is_due(event, reminders.event_day_begins(event))
    event.reminder_enabled = False
    assert not reminders.is_due(event, at)


@pytest.fixture
def reminded(app, make_organizer):
    """An event the day after Berlin's spring switch with Ada, Zoë, Grace (cancelled), Alan
    (unsubscribed at another of the organizer's events), Bob (his address bounced) and Carl (no
    address). Returns the event id, slug, and guest ids by first name."""
    switched = switch_day("Europe/Berlin", NEXT_YEAR, forward=True)
    with app.app_context():
        organizer = users.create_organizer("organizer@example.org", PASSWORD)
        start = datetime.combine(switched + timedelta(days=1), time(18))
        event = events.create_event(
            organizer,
            "Spring Reunion",
            "Alte Mensa",
            start,
            start + timedelta(hours=4),
            "Europe/Berlin",
        )
        earlier = events.create_event(
            organizer,
            "Winter Reunion",
            "Aula",
            start - timedelta(days=90),
            start - timedelta(days=90, hours=-3),
            "Europe/Berlin",
        )
        names = {
            "Ada": "ada@example.org",
            "Zoë": "zoe@example.org",
            "Grace": "grace@example.org",
            "Alan": "alan@example.org",
            "Bob": "bob@example.org",
            "Carl": "",
        }
        ids = {}
        for first, email in names.items():
            person = Guest(event_id=event.id, name=f"{first} Tester", email=email)
            db.session.add(person)
            db.session.flush()
            tickets.issue(person)
            ids[first] = person.id
        db.session.get(Guest, ids["Grace"]).cancelled_at = utcnow()
        db.session.add(
            Guest(
                event_id=earlier.id,
                name="Alan Tester",
                email="ALAN@example.org",
                unsubscribed_at=utcnow(),
            )
        )
        db.session.add(Suppression(email="bob@example.org", reason="550 gone"))
        db.session.commit()
        return {
            "id": event.id,
            "slug": event.slug,
            "ids": ids,
            "at": reminders.reminder_time(event),
        }


def statuses(event_id: int) -> dict[int, tuple[str, str]]:
    """Each reminder row's (status, reason) by guest id."""
    rows = db.session.execute(
        select(Outbox.attendee_id, Outbox.status, Outbox.reason).where(
            Outbox.event_id == event_id, Outbox.kind == "reminder"
        )
    ).all()
    return {attendee_id: (status, reason) for attendee_id, status, reason in rows}


def test_sent_once_per_guest_at_nine_local_not_before(ctx, reminded, inbox, smtp_url, tmp_path):
    """At 8:59 local nothing goes; at 9:00 Ada and Zoë get one each; cancelled, unsubscribed
    and bounced people get none; a second run queues and sends nothing."""
    at = reminded["at"]
    assert at.astimezone(ZoneInfo("Europe/Berlin")).hour == 9
    assert reminders.send_due(at - timedelta(minutes=1)).sent == 0
    assert statuses(reminded["id"]) == {} and inbox.messages == []

    counts = reminders.send_due(at)
    assert (counts.sent, counts.skipped, counts.failed) == (2, 2, 0)
    assert sorted(inbox.copies().items()) == [("ada@example.org", 1), ("zoe@example.org", 1)]
    ids, found = reminded["ids"], statuses(reminded["id"])
    assert ids["Grace"] not in found and ids["Carl"] not in found  # never queued
    assert found[ids["Alan"]] == ("skipped", reminders.UNSUBSCRIBED)
    assert found[ids["Bob"]] == ("skipped", outbox.BOUNCED)

    assert reminders.send_due(at + timedelta(minutes=1)).sent == 0
    assert reminders.queue(db.session.get(Event, reminded["id"]), at) == 0
    assert len(inbox.messages) == 2


def test_the_reminder_carries_the_qr_the_link_when_and_where(
    ctx, reminded, inbox, smtp_url, tmp_path
):
    """Subject "Tomorrow: …", an inline QR that decodes to the ticket URL, the personal link,
    the local time and venue, "have your code ready", and one-click unsubscribe headers."""
    reminders.send_due(reminded["at"])
    [email] = inbox.to("ada@example.org")
    assert email["Subject"] == "Tomorrow: Spring Reunion"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(
        r"<http://127\.0\.0\.1:5000/mail/unsubscribe/\S+>", email["List-Unsubscribe"]
    )
    text, related = email.get_payload()
    html, image = related.get_payload()
    ada = db.session.get(Guest, reminded["ids"]["Ada"])
    ticket_url = tickets.ticket_url(tickets.code_of(tickets.current_ticket(ada.id)))
    path = tmp_path / "qr.png"
    path.write_bytes(image.get_payload(decode=True))
    assert qr_in_image(path) == ticket_url
    plain = text.get_content()
    assert "Have your code ready at the door" in plain and "Alte Mensa" in plain
    assert "18:00 (Europe/Berlin)" in plain
    login = re.search(r"http://127\.0\.0\.1:5000/in/[A-Z2-7]{32}", plain).group(0)
    assert (
        login in html.get_content()
        and f"cid:{image['Content-ID'].strip('<>')}" in html.get_content()
    )


def test_a_guest_who_cancels_after_queueing_is_skipped(ctx, reminded, inbox, smtp_url):
    """Queued at 9:00 but cancelled before the row's turn: skipped with why, no email."""
    event = db.session.get(Event, reminded["id"])
    reminders.queue(event, reminded["at"])
    db.session.execute(
        update(Guest).where(Guest.id == reminded["ids"]["Zoë"]).values(cancelled_at=utcnow())
    )
    db.session.commit()
    reminders.send_queued(event.id, reminded["at"])
    assert statuses(event.id)[reminded["ids"]["Zoë"]] == ("skipped", reminders.CANCELLED)
    assert inbox.to("zoe@example.org") == [] and len(inbox.to("ada@example.org")) == 1


def test_a_dead_server_then_a_live_one_and_a_crash(ctx, reminded, app, inbox, smtp_url):
    """Unreachable: queued again for later; once the server answers, sent. A row a stopped
    worker left "sending" becomes uncertain, never sent twice by itself."""
    at = reminded["at"]
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    assert reminders.send_due(at).retrying == 2
    app.config["SMTP_URL"] = smtp_url
    assert reminders.send_due(at + timedelta(seconds=30)).sent == 0  # not due yet
    assert reminders.send_due(at + timedelta(hours=1)).sent == 2
    ada = reminded["ids"]["Ada"]
    db.session.execute(
        update(Outbox)
        .where(Outbox.attendee_id == ada)
        .values(status="sending", claimed_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    assert outbox.recover() == 1
    assert statuses(reminded["id"])[ada][0] == "uncertain"
    assert reminders.send_due(at + timedelta(hours=2)).sent == 0
    assert len(inbox.to("ada@example.org")) == 1


def test_too_late_rows_are_skipped_and_an_off_event_queues_none(ctx, reminded, inbox, smtp_url):
    """A row still waiting when the event's day begins is skipped; with the reminder off,
    nothing is queued at all."""
    event = db.session.get(Event, reminded["id"])
    reminders.queue(event, reminded["at"])
    reminders.send_queued(event.id, reminders.event_day_begins(event))
    assert statuses(event.id)[reminded["ids"]["Ada"]] == ("skipped", reminders.TOO_LATE)
    other = events.create_event(
        event.organizer,
        "Off Reunion",
        "",
        datetime.combine(reminded["at"].date() + timedelta(days=1), time(18)),
        datetime.combine(reminded["at"].date() + timedelta(days=1), time(22)),
        "Europe/Berlin",
    )
    db.session.add(Guest(event_id=other.id, name="Dee", email="dee@example.org"))
    reminders.set_enabled(other, False)
    reminders.send_due(reminders.reminder_time(other))
    assert statuses(other.id) == {} and inbox.to("dee@example.org") == []


def test_the_event_page_shows_the_counts_and_switches_it(
    app, client, sign_in, reminded, inbox, smtp_url
):
    """The mail card says when and how many; the switch turns it off and on; another
    organizer can neither see nor switch it."""
    with app.app_context():
        reminders.send_due(reminded["at"])
    sign_in()
    slug = reminded["slug"]
    page = client.get(f"/events/{slug}").get_data(as_text=True)
    assert "Reminder the day before: <strong>on</strong>" in page
    assert "2 sent, 2 skipped." in page
    token = csrf_token(client, f"/events/{slug}")
    assert (
        client.post(f"/events/{slug}/reminder/off", data={"csrf_token": token}).status_code == 302
    )
    with app.app_context():
        assert db.session.scalar(select(Event.reminder_enabled).where(Event.slug == slug)) is False
    assert "Turn the reminder on" in client.get(f"/events/{slug}").get_data(as_text=True)

    other = app.test_client()
    with app.app_context():
        users.create_organizer("b@example.org", PASSWORD)
    sign_in("b@example.org", test_client=other)
    token_b = csrf_token(other, "/events")
    assert (
        other.post(f"/events/{slug}/reminder/on", data={"csrf_token": token_b}).status_code == 404
    )
    with app.app_context():
        assert db.session.scalar(select(Event.reminder_enabled).where(Event.slug == slug)) is False


def test_the_periodic_task_sends_queued_reminders(app, reminded, inbox, smtp_url):
    """The huey periodic task queues nothing before the time (the event is next year) and
    sends rows already queued."""
    from checkin import tasks

    with app.app_context():
        tasks.send_due_reminders.call_local()
        assert statuses(reminded["id"]) == {}
        reminders.queue(db.session.get(Event, reminded["id"]), utcnow())
        tasks.send_due_reminders.call_local()
    assert sorted(inbox.copies()) == ["ada@example.org", "zoe@example.org"]


def test_the_reminder_carries_the_events_postal_address(ctx, reminded, inbox, smtp_url):
    """Bulk mail names a postal address: the event's, in the text and the HTML, as the digest."""
    event = db.session.get(Event, reminded["id"])
    event.postal_address = "Alumni Office, Unter den Linden 6, 10117 Berlin"
    db.session.commit()
    reminders.send_due(reminded["at"])
    [email] = inbox.to("ada@example.org")
    text, related = email.get_payload()
    html = related.get_payload()[0].get_content()
    assert "Unter den Linden 6, 10117 Berlin" in text.get_content()
    assert "Unter den Linden 6, 10117 Berlin" in html
