"""The organizer's digest pages: the time (zone, default, DST gap), footer details, preview, a test
to the organizer, send now (once), the status list with send again, and who may see any of it."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import REUNION_DAY, csrf_token
from sqlalchemy import func, select, update
from support.digests import make_party
from support.mailserver import free_port
from support.pages import HTMX
from support.pages import body as text

from checkin.accounts import personal_links as links
from checkin.extensions import db
from checkin.mail.messages import PREVIEW_CSP
from checkin.models import Event, Guest, Outbox, PersonalLink, utcnow

DAY_AFTER = REUNION_DAY + timedelta(days=1)  # the party ends 23:00 on 26 November in New York
TWO_DAYS_AFTER = REUNION_DAY + timedelta(days=2)


def sunday(year: int, month: int, nth: int) -> date:
    """The nth Sunday of a month (New York's clocks change on the 2nd of March, 1st of November)."""
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))


SPRING_FORWARD = sunday(REUNION_DAY.year + 1, 3, 2)  # after the party: only the gap is wrong
FALL_BACK = sunday(REUNION_DAY.year + 1, 11, 1)


@pytest.fixture
def party_with_organizer(app, client, sign_in, make_event, make_guest, set_guest):
    """Ada, Zoe and Grace met (digests to send); Bob did not ask for one; Eve has nothing to
    read. The organizer is signed in; token is a CSRF token of that session."""
    found = make_party(make_event, make_guest, set_guest, app)
    with app.app_context():  # as sending the tickets does: each guest has a personal link
        for attendee_id in found.ids.values():
            links.ensure(db.session.get(Guest, attendee_id))
    sign_in()
    found.token = csrf_token(client, "/events")
    found.base = f"/events/{found.slug}/digest"
    return found


def event_row(app, party) -> Event:
    """The party's event, read fresh."""
    with app.app_context():
        event = db.session.get(Event, party.event_id)
        db.session.expunge(event)
        return event


def outbox(app, party) -> dict[str, str]:
    """Each outbox row's status by the guest's first name."""
    names = {v: k for k, v in party.ids.items()}
    with app.app_context():
        found = db.session.execute(
            select(Outbox.attendee_id, Outbox.status).where(Outbox.event_id == party.event_id)
        )
        return {names[attendee_id]: status for attendee_id, status in found}


def post(client, party, path, **data):
    """POST a form of the digest pages with the session's CSRF token."""
    return client.post(party.base + path, data={"csrf_token": party.token, **data})


def send_now(client, party):
    """Press Send now, confirmed."""
    return post(client, party, "/send", confirm="y")


# The time


def test_the_page_shows_the_default_time_in_the_events_zone(client, party_with_organizer):
    """9:00 the morning after (the event ends 23:00 on 26 November in New York), marked default."""
    page = text(client.get(party_with_organizer.base))
    assert f"{DAY_AFTER:%A} 27 November, 9:00 (America/New_York)" in page
    assert ">Default<" in page and "Back to the default" not in page
    assert f'value="{DAY_AFTER.isoformat()}"' in page and 'value="09:00"' in page


def test_the_page_as_an_htmx_fragment_is_the_counts_alone(client, party_with_organizer):
    """The polled fragment: the counts, no page around them."""
    reply = client.get(party_with_organizer.base, headers=HTMX)
    assert reply.status_code == 200
    assert 'id="digest-summary"' in text(reply) and "<html" not in text(reply)
    assert "Nothing queued yet" in text(reply)


def test_a_new_time_is_stored_in_utc_and_shown_local(app, client, party_with_organizer):
    """8:30 on 28 November in New York (EST) is 13:30 UTC; the page says so, as the
    organizer's choice."""
    reply = post(
        client, party_with_organizer, "/time", day=TWO_DAYS_AFTER.isoformat(), time="08:30"
    )
    assert reply.status_code == 302
    expected = datetime.combine(TWO_DAYS_AFTER, time(13, 30), tzinfo=UTC)
    assert event_row(app, party_with_organizer).digest_at == expected
    page = text(client.get(party_with_organizer.base))
    assert f"{TWO_DAYS_AFTER:%A} 28 November, 8:30 (America/New_York)" in page
    assert "Your choice" in page and "Back to the default" in page


@pytest.mark.parametrize(
    ("day", "clock", "message"),
    [
        (
            SPRING_FORWARD.isoformat(),
            "02:30",
            f"2:30 does not exist on {SPRING_FORWARD.day} March in America/New_York",
        ),
        (REUNION_DAY.isoformat(), "22:00", "Choose a time after the event ends"),
        (
            (REUNION_DAY - timedelta(days=1)).isoformat(),
            "09:00",
            "Choose a time after the event ends",
        ),
        (TWO_DAYS_AFTER.isoformat(), "", "Choose a time."),
        ("", "09:00", "Choose a date."),
    ],
)
def test_an_impossible_time_is_refused_clearly(
    app, client, party_with_organizer, day, clock, message
):
    """A time the clocks skip (DST gap), one before the event ends, or a missing field: 422,
    the reason beside the field, and the default kept."""
    reply = post(client, party_with_organizer, "/time", day=day, time=clock)
    assert reply.status_code == 422
    assert message in text(reply)
    assert 'aria-invalid="true"' in text(reply)
    assert event_row(app, party_with_organizer).digest_at is None


def test_a_time_that_has_passed_is_refused(app, client, party_with_organizer):
    """For an event that ended three days ago, 9:00 yesterday is after it ended but gone: 422,
    pointing to Send now, and the default kept."""
    ended = utcnow() - timedelta(days=3)
    with app.app_context():
        db.session.execute(
            update(Event)
            .where(Event.id == party_with_organizer.event_id)
            .values(starts_at=ended - timedelta(hours=5), ends_at=ended)
        )
        db.session.commit()
    yesterday = (utcnow() - timedelta(days=1)).astimezone(ZoneInfo("America/New_York")).date()
    reply = post(client, party_with_organizer, "/time", day=yesterday.isoformat(), time="09:00")
    assert reply.status_code == 422
    assert "That time has passed: use Send now to send at once." in text(reply)
    assert event_row(app, party_with_organizer).digest_at is None


def test_a_repeated_hour_means_the_first_of_the_two(app, client, party_with_organizer):
    """1:30 on the night clocks go back (the first Sunday of November) is the EDT one, 05:30
    UTC."""
    assert (
        post(
            client, party_with_organizer, "/time", day=FALL_BACK.isoformat(), time="01:30"
        ).status_code
        == 302
    )
    assert event_row(app, party_with_organizer).digest_at == datetime.combine(
        FALL_BACK, time(5, 30), tzinfo=UTC
    )


def test_back_to_the_default(app, client, party_with_organizer):
    """ "Back to the default" clears the choice; the default time shows again."""
    post(client, party_with_organizer, "/time", day=TWO_DAYS_AFTER.isoformat(), time="08:30")
    assert post(client, party_with_organizer, "/time/default").status_code == 302
    assert event_row(app, party_with_organizer).digest_at is None
    assert f"{DAY_AFTER:%A} 27 November, 9:00" in text(client.get(party_with_organizer.base))


def test_the_time_cannot_change_once_queued(app, client, party_with_organizer, inbox, smtp_url):
    """After Send now the time no longer matters: the form is gone and a POST is refused."""
    send_now(client, party_with_organizer)
    page = text(client.get(party_with_organizer.base))
    assert "the time no longer matters" in page and "Save the time" not in page
    reply = post(
        client, party_with_organizer, "/time", day=TWO_DAYS_AFTER.isoformat(), time="08:30"
    )
    assert reply.status_code == 422 and "already queued" in text(reply)
    assert event_row(app, party_with_organizer).digest_at is None


# Footer details


def test_the_postal_address_and_reply_to_are_saved(app, client, party_with_organizer):
    """Both saved (the address on one line, the email normalized) and shown in the form."""
    reply = post(
        client,
        party_with_organizer,
        "/details",
        postal_address="Alumni Association\n1 College Green",
        reply_to="Alumni@Example.edu",
    )
    assert reply.status_code == 302
    event = event_row(app, party_with_organizer)
    assert event.postal_address == "Alumni Association 1 College Green"
    assert event.reply_to == "Alumni@example.edu"
    assert 'value="Alumni@example.edu"' in text(client.get(party_with_organizer.base))


def test_a_bad_reply_to_is_refused(app, client, party_with_organizer):
    """Not an email address: 422 with the reason, nothing saved."""
    reply = post(
        client, party_with_organizer, "/details", postal_address="1 College Green", reply_to="nope"
    )
    assert reply.status_code == 422
    assert "That is not an email address" in text(reply)
    assert event_row(app, party_with_organizer).postal_address == ""


# Preview


def test_the_picker_finds_guests_as_a_page_and_as_a_fragment(client, party_with_organizer):
    """The search as a whole page, and as the fragment htmx swaps in: only who matches."""
    page = text(client.get(f"{party_with_organizer.base}/people?q=zoe"))
    assert "Preview a digest" in page and "Zoe Example" in page and "Ada Example" not in page
    fragment = text(client.get(f"{party_with_organizer.base}/people?q=ada", headers=HTMX))
    assert 'id="digest-people"' in fragment
    assert "<html" not in fragment and "Ada Example" in fragment and "Zoe Example" not in fragment
    assert f"{party_with_organizer.base}/people/{party_with_organizer.ids['ada']}" in fragment


def test_the_preview_shows_subject_text_and_html_but_no_private_note(client, party_with_organizer):
    """Ada's digest: its subject, the text, the HTML in a sandboxed frame that is served under
    its own strict policy; private notes (hers, and Zoe's about her) stay out of the
    organizer's sight, a placeholder where hers would be."""
    page = text(client.get(f"{party_with_organizer.base}/people/{party_with_organizer.ids['ada']}"))
    assert "Would be sent to ada@example.org" in page
    assert "You met 1 person at Fall Reunion" in page
    assert "Zoe knows the Lisbon office" not in page and "Ada hires PMs" not in page
    assert "(A private note: only Ada sees it.)" in page
    assert re.search(r'<iframe class="mail-html digest-html" sandbox ', page)
    html = client.get(f"{party_with_organizer.base}/people/{party_with_organizer.ids['ada']}/html")
    assert html.status_code == 200
    assert html.headers["Content-Security-Policy"] == PREVIEW_CSP
    assert "Zoe Example" in text(html) and "Ada hires PMs" not in text(html)
    assert "Zoe knows the Lisbon office" not in text(html)


@pytest.mark.parametrize(
    ("who", "reason"),
    [("bob", "Did not ask for the digest."), ("eve", "Nothing to say")],
)
def test_the_preview_says_why_a_digest_would_be_skipped(client, party_with_organizer, who, reason):
    """Bob did not opt in; Eve met no one: each page says so, and there is no HTML for Eve."""
    page = text(client.get(f"{party_with_organizer.base}/people/{party_with_organizer.ids[who]}"))
    assert "Would not be sent." in page and reason in page
    if who == "eve":
        assert (
            client.get(
                f"{party_with_organizer.base}/people/{party_with_organizer.ids['eve']}/html"
            ).status_code
            == 404
        )


# Send a test to me


def test_a_test_goes_to_the_organizer_only(app, client, party_with_organizer, inbox, smtp_url):
    """The real SMTP server receives Ada's digest addressed to the organizer, marked [Test];
    Ada receives nothing, and no outbox row is made."""
    reply = post(client, party_with_organizer, f"/people/{party_with_organizer.ids['ada']}/test")
    assert reply.status_code == 302
    [message] = inbox.messages
    assert message["To"].addresses[0].addr_spec == "organizer@example.org"
    assert message["Subject"].startswith("[Test] You met 1 person at Fall Reunion")
    assert inbox.envelopes[0][1] == ["organizer@example.org"]
    assert outbox(app, party_with_organizer) == {}
    body = message.get_body(("plain",)).get_content()
    assert "Zoe Example" in body and "Zoe knows the Lisbon office" not in body
    assert "List-Unsubscribe" not in message  # a click in the organizer's mail app stays harmless
    flashed = text(client.get(reply.location))
    assert "Sent a test of Ada Example&#39;s digest to organizer@example.org" in flashed


def test_without_a_mail_server_the_test_is_kept_on_the_sent_mail_page(client, party_with_organizer):
    """No SMTP_URL: the test is kept as a file, the page says where, and Sent mail lists it."""
    reply = post(client, party_with_organizer, f"/people/{party_with_organizer.ids['ada']}/test")
    assert "kept on the Sent mail page" in text(client.get(reply.location))
    sent_mail = text(client.get(f"/events/{party_with_organizer.slug}/mail"))
    assert "[Test] You met 1 person at Fall Reunion" in sent_mail


def test_a_failed_test_says_why(app, client, party_with_organizer):
    """No mail server listening: the page says the test did not go, and why."""
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    reply = post(client, party_with_organizer, f"/people/{party_with_organizer.ids['ada']}/test")
    page = text(client.get(reply.location))
    assert "The test did not go to organizer@example.org: Could not reach the mail server" in page


# Send now


def test_send_now_needs_the_tick(app, client, party_with_organizer, inbox, smtp_url):
    """Without the confirming tick: 422, the reason shown, nothing queued or sent."""
    reply = post(client, party_with_organizer, "/send")
    assert reply.status_code == 422
    assert "Tick the box to send the digests now." in text(reply)
    assert outbox(app, party_with_organizer) == {} and inbox.messages == []


def test_send_now_twice_sends_each_digest_once(app, client, party_with_organizer, inbox, smtp_url):
    """Two presses (a double submit): each reader receives one digest; the second press says
    nothing new was queued; Bob and Eve are skipped."""
    first = send_now(client, party_with_organizer)
    assert first.status_code == 302 and first.location == f"{party_with_organizer.base}/status"
    second = send_now(client, party_with_organizer)
    assert "queued already" in text(client.get(second.location))
    received = [m["To"].addresses[0].addr_spec for m in inbox.messages]
    assert sorted(received) == sorted(party_with_organizer.readers)
    assert outbox(app, party_with_organizer) == {
        "ada": "sent",
        "zoe": "sent",
        "grace": "sent",
        "bob": "skipped",
        "eve": "skipped",
    }


# Status


def test_the_status_page_and_its_fragment_list_each_guest(
    client, party_with_organizer, inbox, smtp_url
):
    """Counts and one row per guest with the reason for a skip; the fragment is the same
    markup without the page, and does not poll once nothing is waiting."""
    send_now(client, party_with_organizer)
    page = text(client.get(f"{party_with_organizer.base}/status"))
    assert "<h1>Each guest's digest</h1>" in page
    assert re.search(r'class="stat">3</span> Sent', page)
    assert "Bob Example" in page and "Did not ask for the digest." in page
    fragment = text(client.get(f"{party_with_organizer.base}/status", headers=HTMX))
    assert 'id="digest-outbox"' in fragment and "<html" not in fragment
    assert "Bob Example" in fragment and "every 2s" not in fragment


def test_the_status_filter_shows_one_status(client, party_with_organizer, inbox, smtp_url):
    """?status=skipped lists Bob and Eve and no one who was sent theirs."""
    send_now(client, party_with_organizer)
    page = text(client.get(f"{party_with_organizer.base}/status?status=skipped"))
    assert "Bob Example" in page and "Eve Example" in page and "Ada Example" not in page
    assert re.search(r'aria-current="page">\s*<span class="stat">2</span> Skipped', page)
    assert "Skipped only" in page


def test_the_status_polls_while_digests_wait(app, client, party_with_organizer):
    """Rows queued but not sent yet: both fragments carry the 2-second poll."""
    with app.app_context():
        from checkin.mail import digest_outbox

        digest_outbox.queue_digests(db.session.get(Event, party_with_organizer.event_id))
    for path in ("", "/status"):
        fragment = text(client.get(party_with_organizer.base + path, headers=HTMX))
        assert 'hx-trigger="every 2s"' in fragment, path


def test_send_again_sends_a_failed_digest(app, client, party_with_organizer, inbox):
    """A digest that failed (no server, no retries left) is sent by "Send again" once the
    server is back."""
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    app.config["DIGEST_RETRY_DELAYS"] = (0,)  # one retry, at once, then failed
    send_now(client, party_with_organizer)
    post(client, party_with_organizer, "/send", confirm="y")  # the retry: fails for good this time
    assert outbox(app, party_with_organizer)["ada"] == "failed"
    page = text(client.get(f"{party_with_organizer.base}/status?status=failed"))
    assert "Could not reach the mail server" in page and "Send again" in page
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}"
    reply = post(
        client, party_with_organizer, f"/status/{row_id(app, party_with_organizer, 'ada')}/retry"
    )
    assert reply.status_code == 302
    assert (
        outbox(app, party_with_organizer)["ada"] == "sent" and len(inbox.to("ada@example.org")) == 1
    )


def test_an_uncertain_digest_is_sent_only_when_forced(
    app, client, party_with_organizer, inbox, smtp_url
):
    """An uncertain row shows the second-copy warning; a retry without force sends nothing,
    "Send anyway" sends it."""
    send_now(client, party_with_organizer)
    with app.app_context():
        db.session.execute(
            update(Outbox)
            .where(Outbox.id == row_id(app, party_with_organizer, "ada"))
            .values(status="uncertain", reason="The worker stopped while sending this email.")
        )
        db.session.commit()
    page = text(client.get(f"{party_with_organizer.base}/status?status=uncertain"))
    assert "may give them a second copy" in page and "Send anyway" in page
    row = row_id(app, party_with_organizer, "ada")
    post(client, party_with_organizer, f"/status/{row}/retry")
    assert (
        outbox(app, party_with_organizer)["ada"] == "uncertain"
        and len(inbox.to("ada@example.org")) == 1
    )
    post(client, party_with_organizer, f"/status/{row}/retry", force="1")
    assert (
        outbox(app, party_with_organizer)["ada"] == "sent" and len(inbox.to("ada@example.org")) == 2
    )


def row_id(app, party, who: str) -> int:
    """The id of a guest's digest row."""
    with app.app_context():
        return db.session.scalar(select(Outbox.id).where(Outbox.attendee_id == party.ids[who]))


# Who may see and do what


def gets(party) -> list[str]:
    """Every GET of the digest pages."""
    ada = party.ids["ada"]
    return [
        party.base,
        f"{party.base}/people?q=a",
        f"{party.base}/people/{ada}",
        f"{party.base}/people/{ada}/html",
        f"{party.base}/status",
        f"{party.base}/status?status=failed",
    ]


def posts(party) -> list[tuple[str, dict]]:
    """Every POST of the digest pages, with data that would change something."""
    return [
        ("/time", {"day": TWO_DAYS_AFTER.isoformat(), "time": "08:30"}),
        ("/time/default", {}),
        ("/details", {"postal_address": "Forged", "reply_to": "x@example.org"}),
        ("/send", {"confirm": "y"}),
        (f"/people/{party.ids['ada']}/test", {}),
        ("/status/1/retry", {"force": "1"}),
    ]


def state(app, party, inbox=None) -> tuple:
    """What the digest pages could change: the event's settings, the outbox, personal links
    (a digest carries one), mail sent."""
    event = event_row(app, party)
    with app.app_context():
        rows = db.session.execute(
            select(Outbox.id, Outbox.status, Outbox.attempts).order_by(Outbox.id)
        ).all()
        links = db.session.scalar(select(func.count()).select_from(PersonalLink))
    sent = len(inbox.messages) if inbox else 0
    settings = (event.digest_at, event.postal_address, event.reply_to, event.digest_queued_at)
    return settings, rows, links, sent


def test_get_changes_nothing(app, client, party_with_organizer, inbox, smtp_url):
    """Every page, as a page and as a fragment, leaves the settings, outbox and mail alone;
    the POST-only URLs answer GET with 405."""
    before = state(app, party_with_organizer, inbox)
    for path in gets(party_with_organizer):
        for headers in ({}, HTMX):
            assert client.get(path, headers=headers).status_code == 200, path
    for path, _data in posts(party_with_organizer):
        assert client.get(party_with_organizer.base + path).status_code == 405, path
    assert state(app, party_with_organizer, inbox) == before


def test_previewing_someone_without_a_personal_link_changes_nothing(
    app, client, party_with_organizer
):
    """A guest never sent their ticket has no personal link; previewing them makes none."""
    with app.app_context():
        db.session.execute(update(PersonalLink).values(revoked_at=datetime.now(UTC)))
        db.session.commit()
    before = state(app, party_with_organizer)
    assert (
        client.get(
            f"{party_with_organizer.base}/people/{party_with_organizer.ids['ada']}"
        ).status_code
        == 200
    )
    assert state(app, party_with_organizer) == before


def test_posts_need_the_csrf_token(app, client, party_with_organizer, inbox, smtp_url):
    """Each POST without its token: 400 and nothing changes."""
    before = state(app, party_with_organizer, inbox)
    for path, data in posts(party_with_organizer):
        assert client.post(party_with_organizer.base + path, data=data).status_code == 400, path
    assert state(app, party_with_organizer, inbox) == before


def test_another_organizer_gets_404_for_everything(
    app, party_with_organizer, sign_in, inbox, smtp_url
):
    """Organizer B, signed in, asking for A's digest pages or pressing its buttons: 404 each
    time, and nothing of A's changes."""
    from checkin.accounts import users

    with app.app_context():
        users.create_organizer("b@example.org", "correct horse battery staple")
    other = app.test_client()
    sign_in("b@example.org", test_client=other)
    token = csrf_token(other, "/events")
    before = state(app, party_with_organizer, inbox)
    for path in gets(party_with_organizer):
        for headers in ({}, HTMX):
            assert other.get(path, headers=headers).status_code == 404, path
    for path, data in posts(party_with_organizer):
        reply = other.post(party_with_organizer.base + path, data={"csrf_token": token, **data})
        assert reply.status_code == 404, path
    assert state(app, party_with_organizer, inbox) == before


def test_another_organizers_row_cannot_be_retried_from_my_event(
    app, client, party_with_organizer, make_event, inbox, smtp_url
):
    """My own event's retry URL with another event's outbox row id queues nothing."""
    send_now(client, party_with_organizer)
    with app.app_context():
        db.session.execute(update(Outbox).values(status="failed"))
        db.session.commit()
    mine = make_event("My Own Party")  # same organizer, another event
    before = state(app, party_with_organizer, inbox)
    path = f"/events/{mine}/digest/status/{row_id(app, party_with_organizer, 'ada')}/retry"
    reply = client.post(path, data={"csrf_token": party_with_organizer.token, "force": "1"})
    assert reply.status_code == 302
    assert state(app, party_with_organizer, inbox) == before


def test_an_guests_session_gets_nothing(app, party_with_organizer, sign_in_guest, inbox, smtp_url):
    """Signed in with Ada's personal link: every page and button sends her to sign in."""
    guest = app.test_client()
    token = sign_in_guest(guest, party_with_organizer.ids["ada"])
    before = state(app, party_with_organizer, inbox)
    for path in gets(party_with_organizer):
        reply = guest.get(path)
        assert reply.status_code == 302 and reply.location.startswith("/sign-in"), path
    for path, data in posts(party_with_organizer):
        reply = guest.post(party_with_organizer.base + path, data={"csrf_token": token, **data})
        assert reply.status_code == 302 and reply.location.startswith("/sign-in"), path
    assert state(app, party_with_organizer, inbox) == before


def test_the_event_page_links_to_the_digest(client, party_with_organizer):
    """The organizer's event page has a Digest button."""
    page = text(client.get(f"/events/{party_with_organizer.slug}"))
    assert f'href="{party_with_organizer.base}">Digest</a>' in page


def test_counts_match_the_outbox(app, client, party_with_organizer, inbox, smtp_url):
    """The digest page's counts are the outbox's, status by status."""
    send_now(client, party_with_organizer)
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Outbox))
    page = text(client.get(party_with_organizer.base))
    assert total == 5
    assert re.search(r'class="stat">3</span> Sent', page)
    assert re.search(r'class="stat">2</span> Skipped', page)
