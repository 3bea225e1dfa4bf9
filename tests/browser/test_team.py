"""The team page on a phone: the owner finds it from the events list, invites a teammate, and
the teammate signs up from the invitation, lands on the team, and reads the event as a viewer.
Screenshots at 390 and 360 px, axe-core on each page."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from checkin.associations import team_invitations
from checkin.extensions import db
from checkin.models import TeamInvitation

from .axe import serious_violations
from .conftest import open_phone, screenshot

SIZES = {"phone": (390, 844), "small": (360, 740)}


def looks_right(page, name):
    """Screenshot; no serious axe findings, no sideways scrolling."""
    screenshot(page, name)
    assert serious_violations(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{name} scrolls sideways ({width}px)"


@pytest.mark.parametrize("size", SIZES)
def test_the_owner_invites_and_the_teammate_joins(live_app, browser, signed_in, phone, size):
    """From "Your events" to the team page, an invitation sent, and Nia joining by its link."""
    page = phone
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.reload()
    expect(page.get_by_role("heading", name="organizer@example.org's events")).to_be_visible()
    looks_right(page, f"team-events-list-{size}")
    page.get_by_role("link", name="Team · Owner").tap()
    expect(page.get_by_role("heading", name="Team (1)")).to_be_visible()
    looks_right(page, f"team-owner-{size}")
    page.get_by_label("Email address").fill("nia@example.org")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Send invitation").tap()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to nia@example.org")
    expect(page.get_by_text("as viewer")).to_be_visible()
    looks_right(page, f"team-invited-{size}")

    with live_app.app_context():
        link = team_invitations.link(db.session.scalar(select(TeamInvitation)))
    nia = open_phone(browser, *SIZES[size])
    nia.goto(link)
    expect(nia.get_by_role("heading", name="Join organizer@example.org's events")).to_be_visible()
    looks_right(nia, f"team-invitation-{size}")
    nia.get_by_label("Your name").fill("Nia Okafor")
    nia.get_by_label("Choose a password").fill("a long enough password")
    nia.get_by_role("button", name="Sign up and join").tap()
    expect(nia.get_by_role("status")).to_contain_text("Welcome to the team")
    expect(nia.get_by_text("You are viewer here.")).to_be_visible()
    nia.goto(f"{live_app.base_url}/events/{signed_in}")
    expect(nia.get_by_role("heading", name="Guests")).to_be_visible()
    expect(nia.get_by_role("button", name="Create door pass")).to_have_count(0)
    expect(nia.get_by_role("link", name="Edit event")).to_have_count(0)
    looks_right(nia, f"team-viewer-event-{size}")
    nia.context.close()

    page.reload()
    expect(page.get_by_role("heading", name="Team (2)")).to_be_visible()
    expect(page.get_by_text("nia@example.org", exact=True)).to_be_visible()
