"""A stranger registers on a phone: the public page, the form (checked inline as it is left),
the confirmation email on a real SMTP server, the link confirmed, the ticket with its QR and
.ics, and the door admits them. axe-core on the public page and the form; screenshots."""

import re
import uuid
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import expect
from support.mailserver import Inbox, start
from support.pdf_qr import qr_in_image

from checkin.door import passes
from checkin.extensions import db
from checkin.models import utcnow

from .axe import serious_violations
from .conftest import SCREENSHOTS, create_event, screenshot
from .test_links import phone_page

ZONE = "America/New_York"


@pytest.fixture
def open_doors(live_app):
    """An event under way (registration open, 50 places, two questions), its door pass and a
    real SMTP server the app sends to; returns (slug, door token, inbox)."""
    box = Inbox()
    controller = start(box)
    live_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{box.port}"
    live_app.config["REGISTRATION_MIN_SECONDS"] = 0  # Playwright types faster than people
    with live_app.app_context():
        now = utcnow().astimezone(ZoneInfo(ZONE)).replace(second=0, microsecond=0)
        event = create_event(start=now - timedelta(minutes=30), name="Spring Mixer")
        event.registration, event.capacity = "open", 50
        event.description = "Drinks, old friends and new ones."
        event.registration_questions = {"class_year": "required", "industry": "optional"}
        db.session.commit()
        token = passes.token_of(passes.create(event, "Door 1"))
        slug, starts = event.slug, event.starts_at
    yield slug, token, box, starts
    box.release.set()
    controller.stop()


def looks_right(page, name: str) -> None:
    """Screenshot; no serious axe findings, no sideways scrolling, no console errors."""
    screenshot(page, name)
    assert serious_violations(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width}px)"
    assert page.errors == [], name


def test_a_stranger_registers_confirms_and_is_admitted(live_app, browser, open_doors, tmp_path):
    """The whole journey on a 390x844 phone, ending at the door."""
    slug, door_token, box, starts = open_doors
    base = live_app.base_url
    page = phone_page(browser, "phone")
    page.goto(f"{base}/e/{slug}")
    expect(page.get_by_role("heading", name="Spring Mixer", level=1)).to_be_visible()
    expect(page.get_by_text("50 places left")).to_be_visible()
    expect(page.get_by_role("link", name="Map")).to_have_attribute(
        "href", re.compile(r"^https://www\.openstreetmap\.org/search\?query=Alumni%20Hall$")
    )
    og = page.locator('meta[property="og:url"]')
    expect(og).to_have_attribute("content", f"{base}/e/{slug}")
    looks_right(page, "registration-public-page")

    page.get_by_role("link", name="Register").tap()
    page.get_by_label("Your name").fill("Chloé Dubois")
    page.get_by_label("Your email address").fill("chloe@example")
    page.get_by_label("Class year").focus()  # leaving the email field checks it
    expect(page.get_by_text("That doesn't look like an email address.")).to_be_visible()
    looks_right(page, "registration-inline-error")
    page.get_by_label("Your email address").fill("chloe@example.org")
    page.get_by_label("Class year").focus()
    expect(page.get_by_text("That doesn't look like an email address.")).to_have_count(0)
    page.get_by_label("Class year").fill("2015")
    page.get_by_label("Industry").fill("Architecture")
    page.get_by_label("Let other checked-in guests find me").check()
    page.get_by_label("Send me the next-morning email").check()
    expect(
        page.get_by_label("Share my contact details with people I connect with")
    ).not_to_be_checked()
    page.get_by_role("button", name="Register").tap()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    looks_right(page, "registration-check-email")

    [confirm_mail] = box.to("chloe@example.org")
    link = re.search(r"https?://\S+/confirm/\S+", confirm_mail.get_body(("plain",)).get_content())
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Confirm your registration")).to_be_visible()
    looks_right(page, "registration-confirm")
    page.get_by_role("button", name="Confirm").tap()
    expect(page.get_by_role("heading", name="You’re in")).to_be_visible()
    looks_right(page, "registration-confirmed")

    ticket = box.to("chloe@example.org")[-1]
    assert ticket["Subject"] == "Your ticket for Spring Mixer"
    [png] = [p for p in ticket.walk() if p.get_content_type() == "image/png"]
    image = tmp_path / "qr.png"
    image.write_bytes(png.get_payload(decode=True))
    ticket_url = qr_in_image(image)
    assert ticket_url.startswith(f"{base}/t/") or "/t/" in ticket_url
    [ics] = [p for p in ticket.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert ics.get_filename() == f"{slug}.ics"
    entry = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")[0]
    local = entry.decoded("DTSTART")
    expected = starts.astimezone(ZoneInfo(ZONE))
    assert local.tzinfo.key == ZONE
    assert (local.date(), local.time()) == (expected.date(), time(expected.hour, expected.minute))

    answer = page.request.post(
        f"{base}/api/v1/events/{slug}/checkins",
        data={"code": ticket_url, "nonce": str(uuid.uuid4())},
        headers={"Authorization": f"Bearer {door_token}"},
    )
    assert answer.ok, answer.text()
    assert answer.json()["result"] == "admitted"
    assert answer.json()["attendee"]["name"] == "Chloé Dubois"
    page.context.close()


def test_the_public_page_at_360_wide(live_app, browser, open_doors):
    """The small phone: no sideways scrolling, the form reachable, axe clean."""
    slug, *_ = open_doors
    page = phone_page(browser, "small")
    page.goto(f"{live_app.base_url}/e/{slug}")
    expect(page.get_by_role("button", name="Register")).to_be_attached()
    looks_right(page, "registration-public-page-360")
    page.context.close()


def test_the_organizer_sees_the_public_link_and_its_qr(live_app, browser, open_doors):
    """The event page's "Public page" card: link, QR code, posters; axe clean on a phone."""
    from .conftest import sign_in_organizer

    slug, *_ = open_doors
    page = phone_page(browser, "phone")
    sign_in_organizer(page, live_app.base_url, f"/events/{slug}")
    card = page.locator("#public-page")
    card.scroll_into_view_if_needed()
    expect(card.get_by_role("link", name=f"{live_app.base_url}/e/{slug}")).to_be_visible()
    expect(
        card.get_by_role("img", name=f"QR code for {live_app.base_url}/e/{slug}")
    ).to_be_visible()
    screenshot(page, "registration-organizer-page")
    card.screenshot(path=str(SCREENSHOTS / "registration-organizer-card.png"))
    assert serious_violations(page) == []
    page.context.close()


def test_the_form_works_without_javascript(live_app, browser, open_doors):
    """No JavaScript: a bad address comes back as a 422 page with the error and what was typed;
    fixed, the plain POST registers."""
    slug, _, box, _ = open_doors
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 390, "height": 844}, ignore_https_errors=True
    )
    page = context.new_page()
    page.goto(f"{live_app.base_url}/e/{slug}")
    page.get_by_label("Your name").fill("Oisín O'Brien")
    page.get_by_label("Your email address").fill("oisin@")
    page.get_by_label("Class year").fill("1998")
    with page.expect_response(lambda r: r.url.endswith("/register")) as answer:
        page.get_by_role("button", name="Register").click()
    assert answer.value.status == 422
    expect(page.get_by_text("That doesn't look like an email address.")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value("Oisín O'Brien")
    page.get_by_label("Your email address").fill("oisin@example.org")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert len(box.to("oisin@example.org")) == 1
    context.close()
