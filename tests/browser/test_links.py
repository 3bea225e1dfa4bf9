"""The personal link on a phone: "Continue as <first name>", then the event home; the pages
for a link that no longer works and for asking again. Screenshots at 390 and 360 px, axe-core."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from checkin.accounts import personal_links
from checkin.events import tickets
from checkin.extensions import db
from checkin.models import Event, Guest, PersonalLink, utcnow

from .axe import serious_violations
from .conftest import create_event, open_phone, screenshot

SIZES = {"phone": (390, 844), "small": (360, 740)}


@pytest.fixture
def ada_link(live_app):
    """Ada's personal link in the live app, and her event's slug."""
    with live_app.app_context():
        event = create_event()
        ada = Guest(event_id=event.id, name="Ada Lovelace", email="ada@example.org")
        db.session.add(ada)
        db.session.flush()
        tickets.issue(ada)
        db.session.commit()
        return personal_links.url_of(personal_links.ensure(ada)), event.slug


def phone_page(browser, size):
    """A touch page of the given size, collecting console errors."""
    page = open_phone(browser, *SIZES[size])
    page.errors = []
    page.on("console", lambda m: _console(page, m))
    return page


def _console(page, message) -> None:
    # Chromium asks for /favicon.ico on its own, and logs the 404 of a replaced link's page.
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        page.errors.append(message.text)


def looks_right(page, name):
    """Screenshot; no serious axe findings, no sideways scrolling."""
    screenshot(page, name)
    assert serious_violations(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width}px)"


@pytest.mark.parametrize("size", SIZES)
def test_continue_as_signs_in_on_a_phone(live_app, browser, ada_link, size):
    """The link shows "Continue as Ada"; tapping it opens her event home."""
    url, slug = ada_link
    page = phone_page(browser, size)
    page.goto(url)
    expect(page.get_by_role("heading", name="Hello, Ada")).to_be_visible()
    button = page.get_by_role("button", name="Continue as Ada")
    expect(button).to_be_visible()
    assert button.bounding_box()["height"] >= 44  # a thumb-sized target
    looks_right(page, f"links-continue-{size}")
    button.tap()
    expect(page).to_have_url(f"{live_app.base_url}/e/{slug}/")
    assert page.errors == []
    page.context.close()


def test_a_replaced_link_offers_a_new_one(live_app, browser, ada_link):
    """An old link explains itself and asks for the address; sending shows the same answer."""
    url, slug = ada_link
    with live_app.app_context():
        personal_links.issue(db.session.scalar(db.select(Guest)))
    page = phone_page(browser, "phone")
    page.goto(url)
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    looks_right(page, "links-replaced")
    page.get_by_label("Your email address").fill("ada@example.org")
    page.get_by_role("button", name="Send me my link again").tap()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("If ada@example.org is on the guest list")).to_be_visible()
    looks_right(page, "links-again-sent")
    assert [e for e in page.errors if "status of 404" not in e] == []
    page.context.close()


@pytest.mark.parametrize("size", SIZES)
def test_an_expired_link_says_so_on_a_phone(live_app, browser, ada_link, size):
    """Weeks after the digest the link says it expired and offers a fresh one (410)."""
    url, _ = ada_link
    with live_app.app_context():
        ended = utcnow() - timedelta(days=60)
        db.session.execute(
            update(Event).values(starts_at=ended - timedelta(hours=5), ends_at=ended)
        )
        db.session.execute(update(PersonalLink).values(created_at=ended))
        db.session.commit()
    page = phone_page(browser, size)
    reply = page.goto(url)
    assert reply.status == 410
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    expect(page.get_by_role("button", name="Send me my link again")).to_be_visible()
    looks_right(page, f"links-expired-{size}")
    assert [e for e in page.errors if "status of 410" not in e] == []
    page.context.close()
