"""The organizer's arrivals on a phone: the count, the chart, and who let whom in and when."""

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from checkin.door import check_in, passes
from checkin.extensions import db
from checkin.models import Guest, utcnow

from .conftest import create_event, open_phone, screenshot, sign_in_organizer

ZONE = "America/Los_Angeles"
LONG_NAME = "Maximilian Oberhauser-Wittgenstein"
SIDE_DOOR = "Side entrance (Elm St.)"


@pytest.fixture
def evening(live_app):
    """An event three hours in: 30 arrivals spread over them at two doors, 10 guests not yet."""
    with live_app.app_context():
        now = utcnow()
        event = create_event(
            start=now.astimezone(ZoneInfo(ZONE)) - timedelta(hours=3), timezone=ZONE
        )
        doors = [passes.create(event, "Front door"), passes.create(event, SIDE_DOOR)]
        for i in range(40):
            at = now - timedelta(minutes=175 - i * 6) if i < 29 else None
            db.session.add(
                Guest(
                    event_id=event.id,
                    name=f"Guest {i:02d}",
                    class_year=1980 + i,
                    checked_in_at=at,
                    checked_in_by_id=doors[i % 2].id if at else None,
                )
            )
        late = Guest(event_id=event.id, name=LONG_NAME, class_year=2009)
        db.session.add(late)
        db.session.commit()
        check_in.check_in_guest(doors[1], late.id, str(uuid.uuid4()))  # at the door, just now
        admitted = db.session.get(Guest, late.id).checked_in_at.astimezone(ZoneInfo(ZONE))
        return {"slug": event.slug, "late": admitted.strftime("%H:%M")}


@pytest.mark.parametrize("width, height", [(390, 844), (360, 740)])
def test_arrivals_and_who_let_whom_in_fit_a_phone(live_app, browser, evening, width, height):
    """Count, a chart with readable labels, and door and local time per guest; nothing clipped."""
    page = open_phone(browser, width, height)
    sign_in_organizer(page, live_app.base_url, f"/events/{evening['slug']}")
    expect(page.locator("#arrivals")).to_contain_text("30 of 41 checked in")
    chart = page.get_by_role("img", name="Arrivals per 10 minutes")
    expect(chart).to_be_visible()
    assert page.locator("#arrivals rect.bar").count() >= 10
    label_px = chart.evaluate(
        """svg => svg.getBoundingClientRect().width / svg.viewBox.baseVal.width
             * parseFloat(getComputedStyle(svg.querySelector('text.label')).fontSize)"""
    )
    assert label_px >= 12, f"chart labels render at {label_px:.1f} px"

    late = page.locator("#guests tr", has_text=LONG_NAME)
    expect(late).to_contain_text(f"{evening['late']} by {SIDE_DOOR}")  # the event's clock
    expect(page.locator("#attempts tr").nth(1)).to_contain_text(f"{SIDE_DOOR} Admitted {LONG_NAME}")
    screenshot(page, f"arrivals-{width}")

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    sign_out = page.get_by_role("button", name="Sign out").bounding_box()
    assert sign_out["height"] >= 44  # thumb-sized, like every other control
    for table in ("#attempts table", "#guests table"):  # every column visible, no sideways scroll
        fits = page.locator(table).evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
        assert fits, table
    name_cell, when_cell = (late.locator("td").nth(i).bounding_box()["width"] for i in (0, 1))
    assert name_cell >= when_cell  # the guest's name gets the room, not the door's
