"""Exports in Chromium on a phone: the buttons show, tap to download, the file reads back."""

import csv
import re
import uuid

import vobject
from conftest import REUNION_DAY
from playwright.sync_api import expect

from checkin.accounts import personal_links
from checkin.events import tickets
from checkin.extensions import db
from checkin.models import Guest, utcnow
from checkin.room import cards

from .axe import serious_violations
from .conftest import SCREENSHOTS, create_event, open_phone, sign_in_organizer

NOTE = '=HYPERLINK("http://evil.example") ask about rowing'


def shot(page, name: str) -> None:
    """Save the page to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"exports-{name}.png"), caret="initial", full_page=True)


def downloaded(page, link_name: str):
    """Tap a download link; the Download, once saved."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).tap()
    download = info.value
    assert download.failure() is None
    return download


def read_csv(path) -> list[list[str]]:
    """The file as a spreadsheet reads it: BOM required."""
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(data.decode("utf-8-sig").splitlines()))


def world(app) -> dict:
    """An event with Ada (shares contact) and Zoë (shares too, findable); Ada and Zoë met."""
    with app.app_context():
        event = create_event()
        people = {}
        for key, name in (("ada", "Ada Lovelace"), ("zoe", "Zoë Νίκος")):
            person = Guest(
                event_id=event.id,
                name=name,
                class_year=2009,
                email=f"{key}@example.org",
                checked_in_at=utcnow(),
                consent_findable=True,
                consent_share_contact=True,
                employer="Acme",
            )
            db.session.add(person)
            db.session.flush()
            tickets.issue(person)
            people[key] = person
        db.session.commit()
        cards.record(people["ada"], people["zoe"], str(uuid.uuid4()), NOTE, starred=True)
        cards.record(people["zoe"], people["ada"], str(uuid.uuid4()))
        link = personal_links.url_of(personal_links.ensure(people["ada"]))
        return {"slug": event.slug, "ada_link": link}


def test_organizer_downloads_attendance_from_the_event_page(live_app, browser, tmp_path):
    """The event page offers both exports; the attendance file lists the guests."""
    found = world(live_app)
    for width in (390, 360):
        page = open_phone(browser, width=width)
        sign_in_organizer(page, live_app.base_url, f"/events/{found['slug']}")
        expect(page.get_by_role("link", name="Export networking (CSV)")).to_be_visible()
        shot(page, f"event-{width}")
        assert serious_violations(page) == []
        download = downloaded(page, "Export attendance (CSV)")
        assert re.fullmatch(
            rf"{found['slug']}-{REUNION_DAY}-attendance\.csv", download.suggested_filename
        )
        path = tmp_path / download.suggested_filename
        download.save_as(path)
        rows = read_csv(path)
        assert [r[0] for r in rows] == ["Name", "Ada Lovelace", "Zoë Νίκος"]
        page.context.close()


def test_guest_downloads_own_cards_and_contacts(live_app, browser, tmp_path):
    """From "People you met", Ada gets her cards (her note defused) and Zoë's vCard."""
    found = world(live_app)
    page = open_phone(browser)
    page.goto(found["ada_link"])
    page.get_by_role("button", name=re.compile(r"^Continue as ")).click()
    page.goto(f"{live_app.base_url}/e/{found['slug']}/cards")
    expect(page.get_by_role("link", name="Download my cards (CSV)")).to_be_visible()
    shot(page, "my-cards-390")
    assert serious_violations(page) == []

    path = tmp_path / "cards.csv"
    downloaded(page, "Download my cards (CSV)").save_as(path)
    rows = read_csv(path)
    header, zoe = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2 and "Note" in header
    assert zoe["Note"] == "'" + NOTE and zoe["Email"] == "zoe@example.org"

    path = tmp_path / "contacts.vcf"
    downloaded(page, "Contacts (.vcf)").save_as(path)
    [contact] = vobject.readComponents(path.read_text(encoding="utf-8"))
    assert contact.fn.value == "Zoë Νίκος"
    page.context.close()
