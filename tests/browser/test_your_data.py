"""Personal data on a phone at 390x844: Ada downloads her data, deletes it, and is gone from
Grace's suggestions, the organizer's list, the next digest run and every export, while Grace's
card about her keeps Grace's note without Ada's name. The organizer deletes a guest too."""

import json
import re
import uuid

from playwright.sync_api import expect

from checkin.extensions import db
from checkin.mail import transport
from checkin.models import Guest
from checkin.room import cards

from .axe import serious_violations
from .conftest import (
    SCREENSHOTS,
    create_event,
    guests_in_the_room,
    open_phone,
    sign_in_organizer,
)

GRACES_NOTE = "Grace wrote: ask Ada about the engine"
ADAS_NOTE = "Ada wrote: Grace knows COBOL"
GONE = "Someone who deleted their data"


def shot(page, name: str) -> None:
    """Save the whole page to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"privacy-{name}.png"), full_page=True)


def world(app) -> dict:
    """Ada, Grace and Hal in the room, findable, from one hall; Ada and Grace met both ways."""
    hall = {"consent_findable": True, "residence_hall": "Watson Hall", "consent_digest": True}
    with app.app_context():
        event = create_event()
        people = guests_in_the_room(
            event,
            [
                ("Ada Lovelace", 2009, hall),
                ("Grace Hopper", 2010, hall | {"employer": "US Navy"}),
                ("Hal Abelson", 1973, hall),
            ],
        )
        ada, grace = (db.session.get(Guest, people[n]["id"]) for n in ("Ada", "Grace"))
        cards.record(ada, grace, str(uuid.uuid4()), ADAS_NOTE)
        cards.record(grace, ada, str(uuid.uuid4()), GRACES_NOTE)
        return {"slug": event.slug, **people}


def sign_in_guest(page, link: str) -> None:
    """Open the personal link and continue."""
    page.goto(link)
    page.get_by_role("button", name=re.compile(r"^Continue as ")).tap()
    page.wait_for_url(re.compile(r"/e/[^/]+/$"))


def test_a_guest_downloads_then_deletes_their_data(live_app, browser, tmp_path):
    """The whole journey of issue 14's "Done means", on a phone."""
    found = world(live_app)
    base, slug = live_app.base_url, found["slug"]
    ada = open_phone(browser)
    sign_in_guest(ada, found["Ada"]["link"])

    # A choice made in the app goes on record.
    ada.get_by_role("link", name="Edit profile and privacy").tap()
    ada.get_by_label("Send me the next-morning email").uncheck()
    ada.get_by_role("button", name="Save profile").tap()
    expect(ada.get_by_text("Your profile is saved.")).to_be_visible()

    ada.get_by_role("link", name="Your data: see, download or delete it").tap()
    expect(ada.get_by_role("heading", name="Your data", exact=True)).to_be_visible()
    expect(ada.get_by_text(ADAS_NOTE)).to_be_visible()
    expect(ada.get_by_text(GRACES_NOTE)).to_have_count(0)
    shot(ada, "your-data-390")
    assert serious_violations(ada) == []

    with ada.expect_download() as info:
        ada.get_by_role("link", name="Download (JSON)").tap()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    raw = path.read_text(encoding="utf-8")
    data = json.loads(raw)
    assert [c["person"]["name"] for c in data["cards_written"]] == ["Grace Hopper"]
    assert data["cards_written"][0]["note"] == ADAS_NOTE
    assert ("digest", False, "guest") in [
        (c["consent"], c["value"], c["source"]) for c in data["consent_history"]
    ]
    assert [r["name"] for r in data["recorded_by"]] == ["Grace Hopper"]
    for others in (GRACES_NOTE, "grace@example.org", "Abelson"):
        assert others not in raw

    narrow = open_phone(browser, width=360)
    sign_in_guest(narrow, found["Ada"]["link"])
    narrow.goto(f"{base}/e/{slug}/your-data")
    shot(narrow, "your-data-360")
    narrow.goto(f"{base}/e/{slug}/delete-my-data")
    shot(narrow, "delete-mine-360")
    narrow.context.close()

    ada.get_by_role("link", name="Delete my data").tap()
    expect(ada.get_by_role("heading", name="Delete your data?")).to_be_visible()
    shot(ada, "delete-mine-390")
    assert serious_violations(ada) == []
    ada.get_by_label("Yes, delete my data for good").check()
    ada.get_by_role("button", name="Delete my data").tap()
    expect(ada.get_by_role("heading", name="Your data is deleted")).to_be_visible()
    shot(ada, "deleted-390")
    assert serious_violations(ada) == []
    ada.set_viewport_size({"width": 360, "height": 780})
    shot(ada, "deleted-360")
    assert ada.goto(f"{base}/e/{slug}/").status == 404
    ada.context.close()

    grace = open_phone(browser)
    sign_in_guest(grace, found["Grace"]["link"])
    expect(grace.locator(".suggestions")).to_contain_text("Hal Abelson")
    expect(grace.locator("main")).not_to_contain_text("Lovelace")
    grace.get_by_role("link", name="Met", exact=True).tap()
    expect(grace.get_by_text(GONE)).to_be_visible()
    expect(grace.get_by_text(GRACES_NOTE)).to_be_visible()
    expect(grace.locator("main")).not_to_contain_text("Lovelace")
    shot(grace, "graces-cards-390")
    my_cards = grace.request.get(f"{base}/e/{slug}/my-cards.csv").text()
    assert GRACES_NOTE in my_cards and GONE in my_cards and "Lovelace" not in my_cards
    assert "Lovelace" not in grace.request.get(f"{base}/e/{slug}/my-contacts.vcf").text()
    grace.context.close()

    organizer = open_phone(browser)
    sign_in_organizer(organizer, base, f"/events/{slug}")
    expect(organizer.locator("#guests")).to_contain_text("Grace Hopper")
    expect(organizer.locator("#guests")).not_to_contain_text("Lovelace")
    for export in ("attendance.csv", "networking.csv"):
        assert "Lovelace" not in organizer.request.get(f"{base}/events/{slug}/{export}").text()
    organizer.context.close()

    runner = live_app.test_cli_runner()
    assert runner.invoke(args=["send-digests", "--event", slug, "--now"]).exit_code == 0
    with live_app.app_context():
        sent = [p.read_bytes() for p in transport.mail_dir(slug).glob("*.eml")]
    assert sent and not any(b"Lovelace" in m or b"ada@example.org" in m for m in sent)
    assert any(b"grace@example.org" in m for m in sent)


def test_the_organizer_deletes_a_guest_from_their_page(live_app, browser):
    """Guest page, "Delete guest", the confirm at 390 and 360 wide, and the list without Hal."""
    found = world(live_app)
    base, slug = live_app.base_url, found["slug"]
    for width in (360, 390):
        page = open_phone(browser, width=width)
        sign_in_organizer(page, base, f"/events/{slug}")
        page.goto(f"{base}/events/{slug}/attendees/{found['Hal']['id']}")
        page.get_by_role("link", name="Delete guest").tap()
        expect(page.get_by_role("heading", name="Delete Hal Abelson?")).to_be_visible()
        shot(page, f"delete-guest-{width}")
        assert serious_violations(page) == []
        if width == 390:
            page.get_by_label("Yes, delete this guest and their data for good").check()
            page.get_by_role("button", name="Delete guest").tap()
            expect(page.get_by_text("Hal Abelson and their data are deleted.")).to_be_visible()
            expect(page.locator("#guests")).not_to_contain_text("Hal Abelson")
            expect(page.locator("#consents")).to_contain_text("withdrawn by guests deleting")
            page.locator("#consents").scroll_into_view_if_needed()
            shot(page, "event-consents-390")
        page.context.close()
