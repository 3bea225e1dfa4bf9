"""The organizer's "Admitted twice" card on a phone: screenshots, axe-core, no sideways scroll."""

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from checkin.door import check_in
from checkin.door import passes as door_passes
from checkin.events import tickets
from checkin.extensions import db
from checkin.models import Guest, utcnow

from .axe import serious_violations
from .conftest import SCREENSHOTS, create_event, open_phone, screenshot, sign_in_organizer

PIXEL_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Chrome/131 Mobile"
NAMES = ("Ada Lovelace", "Maximiliana Wolfeschlegelsteinhausen-Bergdorff")


def two_phones_offline(live_app) -> str:
    """An event where two offline phones each let the same two guests in; returns its slug."""
    with live_app.app_context():
        event = create_event()
        people = [
            Guest(event_id=event.id, name=name, email=f"{uuid.uuid4().hex[:8]}@example.org")
            for name in NAMES
        ]
        db.session.add_all(people)
        db.session.flush()
        codes = [tickets.code_of(tickets.issue(person)) for person in people]
        db.session.commit()
        passes = [door_passes.create(event, name, 24) for name in ("Door 1", "Side door")]
        for made in passes:
            made.created_at = utcnow() - timedelta(hours=3)
        db.session.commit()
        phones = ((passes[1], "Phone B"), (passes[0], PIXEL_UA))
        for code, minutes in zip(codes, (40, 25), strict=True):
            for offset, (door_pass, device) in enumerate(phones):
                scanned = utcnow() - timedelta(minutes=minutes + 3 * offset)
                check_in.check_in_scan(
                    door_pass, code, str(uuid.uuid4()), scanned, device, "admitted"
                )
        return event.slug


@pytest.mark.parametrize("width,height", [(390, 844), (360, 740)])
def test_conflicts_card_on_a_phone(live_app, browser, width, height):
    """The card lists each guest once with both doors; axe finds nothing serious."""
    slug = two_phones_offline(live_app)
    page = open_phone(browser, width, height)
    sign_in_organizer(page, live_app.base_url, f"/events/{slug}")
    card = page.locator("#conflicts")
    expect(card.get_by_role("heading", name="Admitted twice (2)")).to_be_visible()
    for name in NAMES:
        expect(card.get_by_role("heading", name=name)).to_be_visible()
    expect(card.get_by_text("Side door")).to_have_count(2)
    expect(card.get_by_text("Counts", exact=True)).to_have_count(2)
    expect(page.locator("#attempts").get_by_text("offline")).to_have_count(4)
    screenshot(page, f"organizer-conflicts-{width}")
    card.screenshot(path=str(SCREENSHOTS / f"organizer-conflicts-card-{width}.png"))
    assert serious_violations(page) == []
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"scrolls sideways ({scroll_width}px)"
    page.context.close()
