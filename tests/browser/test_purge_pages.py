"""The organizer's retention pages on a phone (390x844 and 360 wide): when the guests' data goes,
changing it, "Delete personal data now" with its typed confirmation, the purged event's counts;
and the import preview's "Keep the other columns" box. Screenshots under
test-results/screenshots/purge-*.png; axe-core; no sideways scroll."""

import uuid
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from conftest import REUNION_DAY
from playwright.sync_api import expect
from sqlalchemy import select

from checkin.extensions import db
from checkin.models import Card, Guest

from .axe import serious_violations
from .conftest import (
    SCREENSHOTS,
    create_event,
    guests_in_the_room,
    open_phone,
    screenshot,
    sign_in_organizer,
)

ENDS = datetime.combine(REUNION_DAY, time(23, 0))  # create_event's end, on the venue's clock


def deletion_day(days: int) -> str:
    """The venue's date `days` after the event ends, as the page writes it."""
    return (ENDS + timedelta(days=days)).strftime("%-d %B %Y")


def event_with_guests(live_app) -> str:
    """An event where three guests came and two of them recorded each other; its slug."""
    with live_app.app_context():
        event = create_event()
        people = guests_in_the_room(
            event,
            [("Ada Lovelace", 2009, {}), ("Grace Hopper", 1990, {}), ("Alan Turing", 2001, {})],
        )
        for author, subject in (("Ada", "Grace"), ("Grace", "Ada")):
            db.session.add(
                Card(event_id=event.id, author_id=people[author]["id"],
                     subject_id=people[subject]["id"], nonce=uuid.uuid4().hex, note="Hello")
            )  # fmt: skip
        db.session.commit()
        return event.slug


def fits(page, width: int) -> None:
    """No serious axe finding, and no sideways scrolling."""
    assert serious_violations(page) == []
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"scrolls sideways ({scroll_width}px)"


@pytest.mark.parametrize("width,height", [(390, 844), (360, 740)])
def test_the_organizer_changes_the_retention_then_deletes_the_data(
    live_app, browser, width, height
):
    """Event page: "deleted on <day>"; the period changed to 30 days (0 refused, with why);
    "Delete personal data now" refuses a wrong name, then deletes; the event page then shows
    the counts and no guest."""
    slug = event_with_guests(live_app)
    page = open_phone(browser, width, height)
    sign_in_organizer(page, live_app.base_url, f"/events/{slug}")
    card = page.locator("#personal-data")
    expect(card).to_contain_text(f"Personal data will be deleted on {deletion_day(180)}")
    card.scroll_into_view_if_needed()
    screenshot(page, f"purge-event-page-{width}")
    card.screenshot(path=str(SCREENSHOTS / f"purge-event-card-{width}.png"))
    fits(page, width)

    card.get_by_role("link", name="Change how long it is kept").tap()
    expect(page.get_by_role("heading", name="How long personal data is kept")).to_be_visible()
    days = page.get_by_label("Keep the guests' data for (days after the event ends)")
    expect(days).to_have_value("180")
    screenshot(page, f"purge-retention-{width}")
    fits(page, width)
    days.fill("0")
    page.get_by_role("button", name="Save").tap()
    expect(page.get_by_text("Choose a number of days from 1 to 3650 (ten years).")).to_be_visible()
    screenshot(page, f"purge-retention-error-{width}")
    fits(page, width)
    page.get_by_label("Keep the guests' data for (days after the event ends)").fill("30")
    page.get_by_role("button", name="Save").tap()
    page.wait_for_url(f"{live_app.base_url}/events/{slug}#personal-data")
    expect(page.locator("#personal-data")).to_contain_text(deletion_day(30))

    page.locator("#personal-data").get_by_role("link", name="Delete personal data now").tap()
    expect(page.get_by_role("heading", name="Delete personal data now")).to_be_visible()
    screenshot(page, f"purge-confirm-{width}")
    fits(page, width)
    confirm = page.get_by_label("Type the event's name to confirm")
    confirm.fill("Fall Reunion")
    page.get_by_role("button", name="Delete personal data").tap()
    expect(page.get_by_text("Type “Fall Reunion 2026” exactly, to be sure.")).to_be_visible()
    screenshot(page, f"purge-confirm-error-{width}")
    page.get_by_label("Type the event's name to confirm").fill("Fall Reunion 2026")
    page.get_by_role("button", name="Delete personal data").tap()
    page.wait_for_url(f"{live_app.base_url}/events/{slug}")
    expect(page.get_by_role("heading", name="Personal data deleted")).to_be_visible()
    tally = page.locator(".tally")
    expect(tally).to_contain_text("Guests on the list")
    expect(tally.locator("div", has_text="Came")).to_contain_text("3")
    expect(tally.locator("div", has_text="Mutual connections")).to_contain_text("1")
    expect(page.get_by_text("Ada Lovelace")).to_have_count(0)
    screenshot(page, f"purge-done-{width}")
    fits(page, width)
    with live_app.app_context():
        assert db.session.query(Guest).count() == 0
    page.context.close()


EVENTBRITE = Path(__file__).parents[1] / "data" / "eventbrite-attendee-summary.csv"
OTHERS = (
    "Keep the other columns (6): "
    "Order #, Order Date, Quantity, Ticket Type, Barcode #, Attendee Status"
)


@pytest.mark.parametrize("width,height", [(390, 844), (360, 740)])
def test_the_import_keeps_the_other_columns_only_when_ticked(live_app, browser, width, height):
    """The preview names the columns it would not store, unticked; ticking re-renders the
    preview (htmx) with the box still ticked, and the guests imported then keep them."""
    with live_app.app_context():
        slug = create_event().slug
    page = open_phone(browser, width, height)
    sign_in_organizer(page, live_app.base_url, f"/events/{slug}/import")
    page.get_by_label("Guest list file (CSV)").set_input_files(EVENTBRITE)
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("button", name="Import 228 guests")).to_be_visible(timeout=20_000)
    keep = page.get_by_label(OTHERS)
    expect(keep).not_to_be_checked()
    keep.scroll_into_view_if_needed()
    page.locator(".keep-extra").screenshot(path=str(SCREENSHOTS / f"purge-import-keep-{width}.png"))
    screenshot(page, f"purge-import-preview-{width}")
    fits(page, width)
    with page.expect_response(lambda r: r.request.method == "POST" and "/import/" in r.url):
        keep.check()  # htmx re-renders the preview: what the confirm will import
    expect(page.get_by_label(OTHERS)).to_be_checked()  # the re-rendered preview keeps it
    page.get_by_role("button", name="Import 228 guests").click()
    page.wait_for_url(f"{live_app.base_url}/events/{slug}")
    with live_app.app_context():
        emilie = db.session.scalar(select(Guest).where(Guest.name == "Émilie Fontaine"))
        assert emilie.extra["Ticket Type"] == "Alumni"
    page.context.close()
