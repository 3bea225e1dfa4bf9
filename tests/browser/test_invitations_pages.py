"""Invitations on a phone (390 and 360 px): paste a list, read the preview, send, see the
count; the invitee's "no more invitations" page and its button. Screenshots under
test-results/screenshots/invitations-*.png; axe-core; no sideways scrolling."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from checkin.events import tickets
from checkin.extensions import db
from checkin.models import DoNotInvite, Guest, Invitation

from .conftest import create_event, sign_in_organizer
from .test_digest_pages import looks_right
from .test_links import phone_page

LIST = (
    "ana@example.org\nben.with.a.rather.long.address@alumni.example.org, ana@example.org\n"
    "nope\ngus@example.org"
)


@pytest.fixture
def inviting_event(live_app):
    """An event open for registration with Gus on its guest list; its slug."""
    with live_app.app_context():
        event = create_event()
        event.registration = "open"
        db.session.add(Guest(event_id=event.id, name="Gus Guest", email="gus@example.org"))
        db.session.commit()
        return event.slug


@pytest.mark.parametrize("size", ["phone", "small"])
def test_invite_alumni_on_a_phone(live_app, browser, inviting_event, size):
    """Paste, preview (2 to invite, a duplicate, a bad address, a guest left out), send; then
    the invitee's page asks before it acts, and says it is done."""
    slug = inviting_event
    page = phone_page(browser, size)
    sign_in_organizer(page, live_app.base_url, f"/events/{slug}")
    page.locator("#registrations-card").get_by_role("link", name="Invite alumni").tap()
    expect(page.get_by_role("heading", name="Invite alumni")).to_be_visible()
    looks_right(page, f"invitations-page-{size}")

    page.get_by_label("Email addresses").fill(LIST)
    page.get_by_role("button", name="Preview the invitations").tap()
    expect(page.get_by_role("heading", name="2 to invite")).to_be_visible()
    expect(page.get_by_text("1 duplicate removed")).to_be_visible()
    expect(page.get_by_role("heading", name="Already on the guest list (1)")).to_be_visible()
    looks_right(page, f"invitations-preview-{size}")

    page.get_by_role("button", name="Send 2 invitations").tap()
    expect(page.get_by_text("2 invitations queued")).to_be_visible()
    expect(page.get_by_text("2 sent")).to_be_visible()
    looks_right(page, f"invitations-sent-{size}")

    with live_app.app_context():
        row = db.session.scalar(select(Invitation).where(Invitation.email == "ana@example.org"))
        token = tickets.derive("invitation", row.salt)
    page.context.clear_cookies()
    page.goto(f"{live_app.base_url}/invitations/no-more/{token}")
    button = page.get_by_role("button", name="No more invitations")
    expect(button).to_be_visible()
    looks_right(page, f"invitations-no-more-{size}")
    button.tap()
    expect(page.get_by_role("heading", name="No more invitations will come to you")).to_be_visible()
    looks_right(page, f"invitations-no-more-done-{size}")
    with live_app.app_context():
        assert db.session.scalars(select(DoNotInvite.email)).all() == ["ana@example.org"]
    page.context.close()
