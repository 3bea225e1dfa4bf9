"""The organizer on a phone sends tickets and reads the sent mail (no mail server): the event
page's card, the ticket emails page, the sent-mail list and one message with its HTML preview."""

from playwright.sync_api import expect

from checkin.events import tickets
from checkin.extensions import db
from checkin.models import Guest

from .axe import serious_violations
from .conftest import SCREENSHOTS, create_event, screenshot, sign_in_organizer
from .test_links import phone_page


def make_event(live_app) -> str:
    """An event with two guests who have an email address; returns its slug."""
    with live_app.app_context():
        event = create_event()
        for name, email in (("Ada Lovelace", "ada@example.org"), ("Zoë Müller", "zoe@example.org")):
            person = Guest(event_id=event.id, name=name, email=email)
            db.session.add(person)
            db.session.flush()
            tickets.issue(person)
        db.session.commit()
        return event.slug


def looks_right(page, name):
    """Screenshot; no serious axe findings, no sideways scrolling, no console errors."""
    screenshot(page, name)
    assert serious_violations(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width}px)"
    assert page.errors == [], name


def test_send_tickets_and_read_the_sent_mail(live_app, browser):
    """Send tickets from the event page, see "2 of 2", open a kept message and its preview."""
    slug = make_event(live_app)
    page = phone_page(browser, "phone")
    sign_in_organizer(page, live_app.base_url, f"/events/{slug}")
    card = page.locator("#tickets")
    expect(card.get_by_role("button", name="Send tickets (2)")).to_be_visible()
    card.scroll_into_view_if_needed()
    looks_right(page, "mail-event-page")
    card.get_by_role("button", name="Send tickets (2)").tap()
    expect(page.get_by_role("heading", name="Ticket emails")).to_be_visible()
    expect(page.locator("#ticket-status")).to_contain_text("2 of 2 guests")
    looks_right(page, "mail-tickets")
    page.get_by_role("link", name="read the sent mail").tap()
    expect(page.get_by_role("heading", name="Sent mail")).to_be_visible()
    looks_right(page, "mail-outbox")
    page.get_by_role("link", name="Zoë Müller <zoe@example.org>").tap()
    expect(page.get_by_role("heading", name="Your ticket for Fall Reunion 2026")).to_be_visible()
    preview = page.frame_locator("iframe.mail-html")
    expect(preview.get_by_role("heading", name="Hello Zoë, here is your ticket")).to_be_visible()
    qr = preview.get_by_role("img", name="Your ticket QR code for Zoë Müller")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 200  # the inline image drew
    looks_right(page, "mail-message")
    frame = page.locator("iframe.mail-html")
    frame.scroll_into_view_if_needed()
    frame.screenshot(path=str(SCREENSHOTS / "mail-message-preview.png"))
    page.context.close()
