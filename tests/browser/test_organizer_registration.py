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


def test_your_data_shows_the_registration_on_a_phone(live_app, browser, full_house):
    """Ada's "Your data": her registration (status, consents on the form) and her invitation,
    readable at 390x844, axe clean."""
    import re

    from checkin.accounts import personal_links
    from checkin.models import Invitation

    slug, ada = full_house
    with live_app.app_context():
        person = db.session.get(Guest, ada)
        registration = db.session.query(Registration).filter_by(attendee_id=ada).one()
        registration.answers = {"class_year": 2009, "industry": "Computing"}
        registration.consents = {"findable": True, "share_contact": False, "digest": True}
        db.session.add(
            Invitation(
                event_id=person.event_id,
                association_id=person.event.association_id,
                email=person.email,
                salt="s" * 16,
                token_hash="a" * 64,
                status="sent",
                sent_at=utcnow(),
            )
        )
        db.session.commit()
        link = personal_links.url_of(personal_links.ensure(person))
    page = phone_page(browser, "phone")
    page.goto(link)
    page.get_by_role("button", name=re.compile(r"^Continue as ")).tap()
    page.wait_for_url(re.compile(r"/e/[^/]+/$"))
    page.goto(f"{live_app.base_url}/e/{slug}/your-data")
    part = page.locator("section", has=page.get_by_role("heading", name="Your registration"))
    part.scroll_into_view_if_needed()
    expect(part).to_contain_text("confirmed, with a place")
    expect(part).to_contain_text("Share contact details with mutual connections: no")
    expect(part).to_contain_text("To ada@example.org: sent")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    part.screenshot(path=str(SCREENSHOTS / "your-data-registration-390.png"))
    assert serious_violations(page) == []
    page.context.close()
