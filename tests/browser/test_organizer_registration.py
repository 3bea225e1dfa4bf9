"""The organizer's side of registration on a phone: the event page's one "Registration" area
(counts, state, public link and QR, settings, the lists) and a guest's page with "They can't
come", pressed; axe-core clean; screenshots at 390x844 and 360 wide to look at."""

import secrets

import pytest
from playwright.sync_api import expect

from checkin.events import tickets
from checkin.extensions import db
from checkin.models import Guest, Registration, utcnow

from .axe import serious_violations
from .conftest import SCREENSHOTS, create_event, screenshot, sign_in_organizer
from .test_links import phone_page


@pytest.fixture
def full_house(live_app):
    """An open event with 2 places: Ada and Bob guests, Cy waitlisted; returns slug, Ada's id."""
    with live_app.app_context():
        event = create_event(name="Spring Mixer")
        event.registration, event.capacity = "open", 2
        ids = {}
        for n, first in enumerate(("Ada", "Bob", "Cy")):
            email = f"{first.lower()}@example.org"
            guest = None
            if first != "Cy":
                guest = Guest(event_id=event.id, name=f"{first} Tester", email=email)
                db.session.add(guest)
                db.session.flush()
                tickets.issue(guest)
                ids[first] = guest.id
            db.session.add(
                Registration(
                    event_id=event.id,
                    name=f"{first} Tester",
                    email=email,
                    status="guest" if guest else "waitlisted",
                    attendee_id=guest.id if guest else None,
                    confirmed_at=utcnow(),
                    token_hash=tickets.digest(secrets.token_urlsafe(20) + str(n)),
                )
            )
        db.session.commit()
        return event.slug, ids["Ada"]


@pytest.mark.parametrize("size", ["phone", "small"])
def test_the_registration_area_reads_as_one(live_app, browser, full_house, size):
    """One "Registration" section: where it stands, the counts, the public link and QR, the
    buttons; axe clean."""
    slug, _ = full_house
    page = phone_page(browser, size)
    sign_in_organizer(page, live_app.base_url, f"/events/{slug}")
    area = page.locator("#registration")
    area.scroll_into_view_if_needed()
    expect(area.get_by_role("heading", name="Registration", exact=True)).to_be_visible()
    expect(area.get_by_text("waitlisted")).to_be_visible()
    expect(area.get_by_role("link", name=f"{live_app.base_url}/e/{slug}")).to_be_visible()
    expect(area.get_by_role("link", name="Registration settings")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    area.screenshot(path=str(SCREENSHOTS / f"organizer-registration-area-{size}.png"))
    assert serious_violations(page) == []
    page.context.close()


def test_the_organizer_cancels_a_guest_on_a_phone(live_app, browser, full_house):
    """Ada's page: tick, press "Cancel their place": she is cancelled and Cy is offered it."""
    slug, ada = full_house
    page = phone_page(browser, "phone")
    sign_in_organizer(page, live_app.base_url, f"/events/{slug}/attendees/{ada}")
    form = page.locator("#cancel-guest")
    form.scroll_into_view_if_needed()
    assert serious_violations(page) == []
    screenshot(page, "organizer-cancel-guest")
    form.get_by_role("button", name="Cancel their place").tap()
    expect(page.get_by_text("Tick the box to confirm.")).to_be_visible()
    page.locator("#cancel-confirm").check()
    page.locator("#cancel-guest").get_by_role("button", name="Cancel their place").tap()
    expect(page.get_by_text("place is given back")).to_be_visible()
    expect(page.locator("#cancel-guest")).to_have_count(0)
    expect(page.get_by_role("button", name="Issue ticket")).to_have_count(0)
    screenshot(page, "organizer-cancelled-guest")
    assert serious_violations(page) == []
    with live_app.app_context():
        cy = db.session.query(Registration).filter_by(email="cy@example.org").one()
        assert cy.status == "offered"
    page.context.close()
