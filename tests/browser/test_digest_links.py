"""The digest's links on a phone: unsubscribe (and back), connect back, "I'd like to meet".
Screenshots at 390 and 360 px, axe-core, no sideways scrolling, no console errors."""

import pytest
from playwright.sync_api import expect

from checkin.extensions import db
from checkin.mail import links
from checkin.models import Guest
from checkin.room import cards

from .axe import serious_violations
from .conftest import create_event, open_phone, screenshot

SIZES = {"phone": (390, 844), "small": (360, 740)}


@pytest.fixture
def mail_links_of(live_app):
    """Ada's three links as her digest carries them (Grace recorded Ada; Ada may meet Grace)."""
    with live_app.app_context():
        event = create_event()
        ada = Guest(
            event_id=event.id, name="Ada Lovelace", class_year=2009, email="ada@example.org"
        )
        grace = Guest(
            event_id=event.id, name="Grace Hopper", class_year=1991, email="g@example.org"
        )
        db.session.add_all([ada, grace])
        db.session.commit()
        cards.record(grace, ada, "grace-met-ada-1")
        return {
            "unsubscribe": links.unsubscribe_url(ada),
            "connect": links.connect_url(ada, grace),
            "meet": links.meet_url(ada, grace),
            "ada": ada.id,
        }


def phone_page(browser, size):
    """A touch page of the given size, collecting console errors."""
    page = open_phone(browser, *SIZES[size])
    page.errors = []
    page.on("console", lambda m: _console(page, m))
    return page


def _console(page, message) -> None:
    # Chromium asks for /favicon.ico on its own, and logs the status of a 404 page.
    favicon = message.location.get("url", "").endswith("/favicon.ico")
    if message.type == "error" and not favicon and "404" not in message.text:
        page.errors.append(message.text)


def looks_right(page, name):
    """Screenshot; no serious axe findings, no sideways scrolling."""
    screenshot(page, name)
    assert serious_violations(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width}px)"


@pytest.mark.parametrize("size", SIZES)
def test_unsubscribe_confirm_then_subscribe_again(live_app, browser, mail_links_of, size):
    """The footer link asks; "Unsubscribe" says so plainly; "Subscribe again" undoes it."""
    page = phone_page(browser, size)
    page.goto(mail_links_of["unsubscribe"])
    heading = "Unsubscribe from Fall Reunion 2026’s emails?"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_text("ada@example.org")).to_be_visible()
    looks_right(page, f"digest-links-unsubscribe-{size}")
    page.get_by_role("button", name="Unsubscribe").tap()
    done = "You’re unsubscribed from Fall Reunion 2026’s emails"
    expect(page.get_by_role("heading", name=done)).to_be_visible()
    looks_right(page, f"digest-links-unsubscribed-{size}")
    with live_app.app_context():
        assert db.session.get(Guest, mail_links_of["ada"]).unsubscribed_at is not None
    page.get_by_role("button", name="Subscribe again").tap()
    again = "You’re subscribed to Fall Reunion 2026’s emails again"
    expect(page.get_by_role("heading", name=again)).to_be_visible()
    looks_right(page, f"digest-links-subscribed-{size}")
    with live_app.app_context():
        assert db.session.get(Guest, mail_links_of["ada"]).unsubscribed_at is None
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("size", SIZES)
def test_connect_back_then_open_the_app(live_app, browser, mail_links_of, size):
    """ "Add Grace" connects, then "Open the event app" leads to the personal link's button."""
    page = phone_page(browser, size)
    page.goto(mail_links_of["connect"])
    heading = "Add Grace Hopper to the people you met?"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    looks_right(page, f"digest-links-connect-{size}")
    page.get_by_role("button", name="Add Grace").tap()
    expect(page.get_by_role("heading", name="Connected")).to_be_visible()
    looks_right(page, f"digest-links-connected-{size}")
    page.get_by_role("link", name="Open the event app").tap()
    expect(page.get_by_role("button", name="Continue as Ada")).to_be_visible()
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("size", SIZES)
def test_asking_to_meet(live_app, browser, mail_links_of, size):
    """The page explains double opt-in; the button answers "Noted"."""
    page = phone_page(browser, size)
    page.goto(mail_links_of["meet"])
    expect(page.get_by_text("They won’t know you asked unless they ask too.")).to_be_visible()
    looks_right(page, f"digest-links-meet-{size}")
    page.get_by_role("button", name="I’d like to meet Grace").tap()
    expect(page.get_by_role("heading", name="Noted")).to_be_visible()
    looks_right(page, f"digest-links-noted-{size}")
    assert page.errors == []
    page.context.close()


def test_a_broken_link_says_so(live_app, browser, mail_links_of):
    """A cut-off token shows a clear "This link does not work" page."""
    page = phone_page(browser, "small")
    reply = page.goto(mail_links_of["meet"][:-6])
    assert reply.status == 404
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    looks_right(page, "digest-links-unknown-small")
    page.context.close()
