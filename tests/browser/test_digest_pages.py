"""The organizer's digest pages on a phone (390 and 360 px), on the demo event with its cards:
the digest page, the guest picker, a preview, a new time, Send now and the status list.
Screenshots under test-results/screenshots/digest-*.png; axe-core; no sideways scrolling."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from checkin import demo
from checkin.extensions import db
from checkin.models import Guest, Outbox

from .axe import serious_violations
from .conftest import screenshot
from .test_links import phone_page


@pytest.fixture
def demo_event(live_app):
    """The demo event (30 guests, a third in, their cards); its slug and organizer login."""
    with live_app.app_context():
        info = demo.create_demo(30, seed=4)
    return info["event"]["slug"], info["organizer"]


def sign_in(page, base_url, organizer, path):
    """Sign in through the form and land on path."""
    page.goto(f"{base_url}/sign-in?next={path}")
    page.get_by_label("Email").fill(organizer["email"])
    page.get_by_label("Password").fill(organizer["password"])
    page.get_by_role("button", name="Sign in").tap()
    page.wait_for_url(f"{base_url}{path}")


def looks_right(page, name):
    """Screenshot; no serious axe findings, no sideways scrolling, no console errors."""
    screenshot(page, name)
    assert serious_violations(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width}px)"
    assert page.errors == [], name


def reader_with_cards(live_app, slug) -> str:
    """The name of a demo guest who asked for the digest and wrote cards."""
    from checkin.models import Card, Event

    with live_app.app_context():
        return db.session.scalar(
            select(Guest.name)
            .join(Card, Card.author_id == Guest.id)
            .join(Event, Event.id == Guest.event_id)
            .where(Event.slug == slug, Guest.consent_digest.is_(True))
            .order_by(Guest.id)
            .limit(1)
        )


@pytest.mark.parametrize("size", ["phone", "small"])
def test_digest_pages_on_a_phone(live_app, browser, demo_event, size):
    """Find a guest, preview their digest, move the time, send now, read the status list."""
    slug, organizer = demo_event
    base = f"/events/{slug}/digest"
    page = phone_page(browser, size)
    sign_in(page, live_app.base_url, organizer, base)
    expect(page.get_by_role("heading", name="Next-morning digest")).to_be_visible()
    expect(page.locator(".digest-when")).to_contain_text("9:00 (America/New_York)")
    looks_right(page, f"digest-page-{size}")

    name = reader_with_cards(live_app, slug)
    page.get_by_label("Find a guest by name or email").fill(name)
    result = page.locator("#digest-people").get_by_role("link", name=name)
    expect(result).to_be_visible()
    looks_right(page, f"digest-picker-{size}")
    result.tap()
    expect(page.get_by_role("heading", name=f"{name}'s digest")).to_be_visible()
    frame = page.frame_locator("iframe.digest-html")
    expect(frame.get_by_text("People you met", exact=False).first).to_be_visible()
    looks_right(page, f"digest-preview-{size}")

    page.goto(f"{live_app.base_url}{base}")
    page.get_by_label("Time", exact=True).fill("08:30")
    page.get_by_role("button", name="Save the time").tap()
    expect(page.locator(".flash")).to_contain_text("8:30 (America/New_York)")
    expect(page.locator(".digest-when")).to_contain_text("Your choice")

    page.get_by_role("button", name="Send the digests now").tap()
    expect(page.locator("#confirm-errors")).to_contain_text("Tick the box")
    page.errors.clear()  # the 422 of the unticked form, logged by Chromium
    page.get_by_label("Yes, send the digests now").check()
    page.get_by_role("button", name="Send the digests now").tap()
    expect(page.get_by_role("heading", name="Each guest's digest")).to_be_visible()
    expect(page.locator(".digest-counts")).to_contain_text("Sent")
    leave_one_uncertain_and_one_failed(live_app, slug)
    page.reload()
    expect(page.get_by_role("button", name="Send anyway").first).to_be_visible()
    looks_right(page, f"digest-status-{size}")
    page.locator(".digest-counts a", has_text="Skipped").tap()
    expect(page.locator('.digest-counts [aria-current="page"]')).to_contain_text("Skipped")
    expect(page.locator(".digest-showing")).to_contain_text("Skipped only")
    page.context.close()


def leave_one_uncertain_and_one_failed(live_app, slug) -> None:
    """As a stopped worker and a refusing server would: one uncertain row, one failed."""
    from checkin.models import Event

    with live_app.app_context():
        ids = db.session.scalars(
            select(Outbox.id)
            .join(Event, Event.id == Outbox.event_id)
            .where(Event.slug == slug, Outbox.status == "sent")
            .order_by(Outbox.id)
            .limit(2)
        ).all()
        db.session.execute(
            update(Outbox)
            .where(Outbox.id == ids[0])
            .values(status="uncertain", reason="The worker stopped while sending this email.")
        )
        db.session.execute(
            update(Outbox)
            .where(Outbox.id == ids[1])
            .values(status="failed", reason="The mail server refused it: 550 5.1.1 No such user")
        )
        db.session.commit()
