"""The organizer on a phone: sign in, create an event, watch arrivals, find guests, make a
door pass, add a guest; screenshots of each page, axe-core on each, nothing against the CSP."""

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from conftest import REUNION_DAY
from playwright.sync_api import expect
from sqlalchemy import select
from support.pdf_qr import qr_in_image

from checkin.accounts import users
from checkin.extensions import db
from checkin.models import CheckInAttempt, DoorPass, Event, Guest

from .axe import serious_violations
from .conftest import SCREENSHOTS

EMAIL, PASSWORD = "organizer@example.org", "correct horse battery"
SIZES = {"phone": (390, 844), "small": (360, 740), "desktop": (1280, 800)}


@pytest.fixture
def live_organizer(live_app):
    """An organizer account in the live app."""
    with live_app.app_context():
        users.create_organizer(EMAIL, PASSWORD)
    return live_app


def open_page(browser, size="phone"):
    """A page at a phone (touch, 2x pixels) or desktop size, its console watched for trouble."""
    width, height = SIZES[size]
    mobile = size != "desktop"
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=2 if mobile else 1,
        is_mobile=mobile,
        has_touch=mobile,
        ignore_https_errors=True,
    )
    page = context.new_page()
    page.trouble = []
    page.on("pageerror", lambda e: page.trouble.append(str(e)))
    page.on("console", lambda m: _console(page, m))
    return page


def _console(page, message) -> None:
    # A form shown again with its errors is a 422 on purpose; Chromium logs every 4xx.
    expected = "status of 422" in message.text or message.location.get("url", "").endswith(
        "/favicon.ico"
    )
    if message.type == "error" and not expected:
        page.trouble.append(message.text)


def shot(page, name: str, full_page=True):
    """Save a screenshot to look at; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"organizer-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def check(page, name: str) -> None:
    """Screenshot the page, and require no serious axe findings and no console errors."""
    shot(page, name)
    assert serious_violations(page) == [], name
    assert page.trouble == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width}px)"


def sign_in(page, base_url) -> None:
    """Sign in through the form, as a person does."""
    page.goto(f"{base_url}/events")
    expect(page).to_have_url(f"{base_url}/sign-in?next=%2Fevents")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your events")).to_be_visible()


def fill_guests(app, slug, arrived_minutes):
    """Sixty guests; those at the given minutes after the start are checked in then."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        door = DoorPass(
            event_id=event.id,
            name="Door 2",
            salt="s" * 32,
            token_hash="h" * 64,
            expires_at=event.ends_at,
        )
        db.session.add(door)
        db.session.flush()
        names = ["Ada Lovelace", "Grace Hopper", "Chloé Dubois", "Oisín Ó Súilleabháin"]
        for i in range(60):
            name = names[i] if i < len(names) else f"Guest Number {i:02d}"
            at = (
                event.starts_at + timedelta(minutes=arrived_minutes[i])
                if i < len(arrived_minutes)
                else None
            )
            person = Guest(
                event_id=event.id,
                name=name,
                class_year=1980 + i % 40,
                email=f"guest{i}@example.org",
                checked_in_at=at,
                checked_in_by_id=door.id if at else None,
            )
            db.session.add(person)
            db.session.flush()
            for result in ("admitted", "already_admitted") if i == 0 else ("admitted",):
                if at:
                    db.session.add(attempt(door, person, result, at))
        db.session.add(attempt(door, None, "unknown", event.starts_at + timedelta(minutes=9)))
        db.session.commit()


def attempt(door, person, result, at) -> CheckInAttempt:
    """One logged scan at the door."""
    return CheckInAttempt(
        event_id=door.event_id,
        nonce=str(uuid.uuid4()),
        door_pass_id=door.id,
        attendee_id=person.id if person else None,
        result=result,
        scanned_at=at,
        received_at=at,
        answer={"result": result},
    )


def create_event(page) -> str:
    """Fill in the new-event form; returns the new event's slug."""
    page.get_by_role("link", name="New event").click()
    check(page, "new-event")
    page.get_by_label("Event name").fill("Fall Reunion 2026")
    page.get_by_label("Venue").fill("Alumni Hall, 1 College Green")
    page.get_by_label("Starts").fill(f"{REUNION_DAY}T18:00")
    page.get_by_label("Ends").fill(f"{REUNION_DAY}T23:00")
    page.get_by_label("Time zone").fill("America/New_York")
    page.get_by_role("button", name="Create event").click()
    expect(page.get_by_role("heading", name="Fall Reunion 2026")).to_be_visible()
    return urlsplit(page.url).path.rsplit("/", 1)[-1]


def test_organizer_sets_up_an_event_on_a_phone(live_organizer, browser):
    """Sign in, create an event, see arrivals and guests, filter, make a door pass and scan it."""
    base = live_organizer.base_url
    page = open_page(browser)
    page.goto(f"{base}/sign-in")
    check(page, "sign-in")
    sign_in(page, base)
    check(page, "events-empty")
    slug = create_event(page)
    expect(page.get_by_text("0 of 0 checked in")).to_be_visible()
    check(page, "event-empty")

    fill_guests(
        live_organizer,
        slug,
        [
            2,
            5,
            7,
            8,
            12,
            14,
            15,
            18,
            21,
            22,
            25,
            27,
            28,
            33,
            41,
            44,
            52,
            58,
            63,
            75,
            88,
            96,
            110,
            131,
            170,
        ],
    )
    page.reload()
    expect(page.get_by_text("25 of 60 checked in")).to_be_visible()
    chart = page.get_by_role("img", name="Arrivals per 10 minutes")
    expect(chart).to_be_visible()
    assert page.locator("svg rect.bar").count() == 13  # ten-minute buckets with arrivals
    assert chart.bounding_box()["width"] >= 300
    expect(page.locator("#guests")).to_contain_text("Ada Lovelace")
    expect(page.locator("#guests")).to_contain_text("18:02 by Door 2")
    check(page, "event")

    page.get_by_label("Find by name or email").fill("oisin o suil")
    expect(page.locator("#guests")).to_contain_text("Showing 1–1 of 1")
    expect(page.locator("#guests")).to_contain_text("Oisín Ó Súilleabháin")
    assert urlsplit(page.url).path == f"/events/{slug}"  # swapped in place by htmx
    check(page, "event-filtered")

    page.get_by_label("Volunteer or door name").fill("Front door")
    page.get_by_role("button", name="Create door pass").click()
    expect(page.get_by_role("heading", name="Front door")).to_be_visible()
    qr = page.get_by_role("img", name="Door link for Front door")
    assert qr.bounding_box()["width"] >= 300
    link = page.get_by_role("textbox", name="Door link").input_value()
    assert link.startswith(f"{base}/door/")
    check(page, "door-pass")
    assert qr_in_image(shot(page, "door-pass-viewport", full_page=False)) == link
    page.get_by_role("link", name="Back to Fall Reunion 2026").click()
    expect(page.locator("#door-passes")).to_contain_text("Front door")
    expect(page.locator("#door-passes")).to_contain_text("never")


def test_event_page_at_small_phone_and_desktop(live_organizer, browser):
    """The event page fits a 360 px phone and a 1280x800 desktop without sideways scrolling."""
    page = open_page(browser)
    sign_in(page, live_organizer.base_url)
    slug = create_event(page)
    fill_guests(live_organizer, slug, [3, 4, 9, 11, 16, 17, 19, 24, 26, 31, 38, 49, 61, 95, 140])
    for size in ("small", "desktop"):
        other = open_page(browser, size)
        other.context.add_cookies(page.context.cookies())
        other.goto(f"{live_organizer.base_url}/events/{slug}")
        expect(other.get_by_text("15 of 60 checked in")).to_be_visible()
        check(other, f"event-{size}")


def test_arrivals_refresh_by_themselves(live_organizer, browser):
    """A check-in at the door shows on the organizer's open page within about ten seconds."""
    page = open_page(browser)
    sign_in(page, live_organizer.base_url)
    slug = create_event(page)
    fill_guests(live_organizer, slug, [5])
    page.reload()
    expect(page.get_by_text("1 of 60 checked in")).to_be_visible()
    with live_organizer.app_context():
        guest = db.session.scalar(select(Guest).where(Guest.checked_in_at.is_(None)))
        guest.checked_in_at = db.session.scalar(select(Event.starts_at))
        db.session.commit()
    expect(page.get_by_text("2 of 60 checked in")).to_be_visible(timeout=15_000)
    assert page.trouble == []


def test_guest_by_hand_and_their_ticket(live_organizer, browser):
    """Add a guest (a mistake first), open their ticket on a phone and scan its QR."""
    base = live_organizer.base_url
    page = open_page(browser)
    sign_in(page, base)
    create_event(page)
    page.get_by_role("link", name="Add a guest").click()
    page.get_by_label("Name").fill("Katherine Johnson")
    page.get_by_label("Email").fill("not an email")
    page.get_by_label("Class year").fill("1937")
    page.get_by_role("button", name="Add guest").click()
    expect(page.get_by_role("alert")).to_contain_text("nothing was saved")
    expect(page.get_by_text("Invalid email address.")).to_be_visible()
    check(page, "add-guest-error")
    page.get_by_label("Email").fill("kat@example.org")
    page.get_by_label("Willing to mentor").select_option("yes")
    page.get_by_role("button", name="Add guest").click()
    expect(page.get_by_text("Added Katherine Johnson")).to_be_visible()
    check(page, "guest")

    ticket = page.get_by_role("link", name="Open the ticket page").get_attribute("href")
    page.goto(ticket)  # the organizer, signed in, sees the QR to show or print
    expect(page.get_by_role("heading", name="Katherine Johnson \u201937")).to_be_visible()
    frame = page.locator(".qr-frame").bounding_box()
    assert frame["width"] >= 340  # most of a 390 px screen
    assert frame["y"] + frame["height"] <= 844  # the whole QR without scrolling
    check(page, "ticket")
    assert qr_in_image(shot(page, "ticket-viewport", full_page=False)) == ticket
