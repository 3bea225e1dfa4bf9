"""The organizer's registrations on a phone (390 and 360 px): the event page's counts and
reminder line, the list filtered to the waitlist by htmx, and the full list. Screenshots under
test-results/screenshots/registrations-*.png; axe-core; no sideways scrolling."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from checkin.extensions import db
from checkin.models import Guest, Registration, utcnow

from .conftest import create_event, sign_in_organizer
from .test_digest_pages import looks_right
from .test_links import phone_page

STATUSES = ["unconfirmed", "waitlisted", "waitlisted", "offered", "guest", "cancelled"]


@pytest.fixture
def registrations_event(live_app):
    """An event open for registration with six registrations of every kind; its slug."""
    now = utcnow()
    with live_app.app_context():
        event = create_event()
        event.registration, event.capacity = "open", 40
        for number, status in enumerate(STATUSES):
            name = f"Alumna Number{number} Withaverylongsurname"
            row = Registration(
                event_id=event.id,
                email=f"alumna.number{number}.longaddress@example.org",
                name=name,
                status=status,
                token_hash=f"{number:064d}",
                confirmed_at=now - timedelta(minutes=60 - number) if number else None,
            )
            if status == "offered":
                row.offered_at, row.offer_expires_at = now, now + timedelta(hours=48)
            if status == "guest":
                person = Guest(event_id=event.id, name=name, email=row.email, source="registration")
                db.session.add(person)
                db.session.flush()
                row.attendee_id = person.id
            db.session.add(row)
        db.session.commit()
        return event.slug


@pytest.mark.parametrize("size", ["phone", "small"])
def test_registrations_on_a_phone(live_app, browser, registrations_event, size):
    """Counts on the event page; the list; the waitlist filter swaps the list in place."""
    slug = registrations_event
    page = phone_page(browser, size)
    sign_in_organizer(page, live_app.base_url, f"/events/{slug}")
    card = page.locator("#registrations-card")
    expect(card).to_contain_text("6 registered")
    expect(card).to_contain_text("2 waitlisted")
    expect(page.locator("#reminder")).to_contain_text("Reminder the day before: on")
    card.scroll_into_view_if_needed()
    looks_right(page, f"registrations-event-page-{size}")

    card.get_by_role("link", name="See registrations").tap()
    expect(page.get_by_role("heading", name="Registrations", exact=True)).to_be_visible()
    expect(page.locator("#registrations")).to_contain_text("6 people")
    looks_right(page, f"registrations-all-{size}")

    page.get_by_label("Show").select_option("waitlisted")
    expect(page.locator("#registrations")).to_contain_text("Position 2")
    expect(page.locator("#registrations")).to_contain_text("2 people: Waitlisted")
    assert page.url.endswith(f"/events/{slug}/registrations")  # swapped in place by htmx
    looks_right(page, f"registrations-waitlisted-{size}")
    page.context.close()
