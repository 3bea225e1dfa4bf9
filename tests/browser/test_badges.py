"""Badges in Chromium on a phone: the organizer makes a 30-guest sheet on the real worker and
watches it (a progress bar polled by htmx, then the download), and the door prints a walk-in's
label with one tap."""

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from support.consumer import Consumers, use_file_queue
from support.pdf_qr import page_size, pages, text

from checkin.events import tickets
from checkin.extensions import db
from checkin.models import BadgeJob, Guest

from .axe import serious_violations
from .conftest import SCREENSHOTS, create_event, open_phone, sign_in_organizer
from .door_phone import assert_clean, new_phone

NAMES = ["Ó Súilleabháin", "Łukasz Nowak", "Gökhan Yılmaz", "Zoë Martin", "Νίκος Παππάς"]


def shot(page, name: str) -> None:
    """Save the whole page to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"badges-{name}.png"), caret="initial", full_page=True)


@pytest.fixture
def reunion(live_app, database_url, tmp_path, monkeypatch):
    """An event with 30 guests and a real worker beside the live app (started by the test)."""
    with live_app.app_context():
        event = create_event()
        for n in range(30):
            person = Guest(
                event_id=event.id,
                name=f"{NAMES[n % 5]} {n:02d}",
                class_year=1990 + n,
                email=f"guest{n}@example.org",
                employer="Acme" if n % 2 else "",
            )
            db.session.add(person)
            db.session.flush()
            tickets.issue(person)
        db.session.commit()
        slug = event.slug
    instance = tmp_path / "instance"  # the live app's (browser conftest: fresh_app)
    use_file_queue(monkeypatch, instance)
    consumers = Consumers(live_app, database_url, instance, tmp_path / "worker.log")
    yield {"slug": slug, "worker": consumers}
    consumers.stop()


def test_organizer_makes_30_badges_and_downloads_them(live_app, browser, reunion, tmp_path):
    """From the event page to the badge page; "Make badges" shows a progress bar while the
    worker has the job, the page polls until the download appears, and the PDF holds 30
    badges on 5 Letter sheets. axe finds nothing serious at either step."""
    page = open_phone(browser)
    sign_in_organizer(page, live_app.base_url, f"/events/{reunion['slug']}")
    page.get_by_role("link", name="Badges and poster").tap()
    expect(page.get_by_role("heading", name="Badges and door poster")).to_be_visible()
    expect(page.get_by_label("Everyone")).to_be_checked()
    expect(page.get_by_text("All 30 guests on the list")).to_be_visible()
    shot(page, "form-390")
    assert serious_violations(page) == []

    page.get_by_role("button", name="Make badges").tap()
    progress = page.locator("progress#sheet-progress")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("max", "30")
    expect(page.get_by_text("0 of 30 done")).to_be_visible()
    shot(page, "progress-390")
    assert serious_violations(page) == []

    started = time.monotonic()
    reunion["worker"].start()
    download_link = page.get_by_role("button", name="Download PDF")
    expect(download_link).to_be_visible(timeout=60_000)  # polled in: no reload
    assert time.monotonic() - started < 60, reunion["worker"].output()
    expect(progress).to_have_count(0)
    shot(page, "done-390")
    assert serious_violations(page) == []
    with page.expect_download() as info:
        download_link.tap()
    download = info.value
    assert download.failure() is None
    assert re.fullmatch(rf"{reunion['slug']}-badges-letter-6-\d+\.pdf", download.suggested_filename)
    path = tmp_path / "badges.pdf"
    download.save_as(path)
    assert pages(path) == 5

    narrow = open_phone(browser, width=360)
    sign_in_organizer(narrow, live_app.base_url, f"/events/{reunion['slug']}/badges")
    # Downloaded once, the PDF is gone from the server: the sheet says so.
    expect(narrow.get_by_text("Downloaded – ask again to print more")).to_be_visible()
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 360
    shot(narrow, "done-360")
    narrow.context.close()
    page.context.close()


def test_one_guest_is_found_by_name_and_printed(live_app, browser, reunion, tmp_path):
    """Typing in "Find the guest" lists matches and ticks "One guest"; picking one makes a
    one-badge sheet at once (no worker needed) for that guest."""
    page = open_phone(browser, width=360)
    sign_in_organizer(page, live_app.base_url, f"/events/{reunion['slug']}/badges")
    page.get_by_label("Find the guest").fill("Gökhan Yılmaz 02")
    choice = page.get_by_role("radio", name=re.compile("Gökhan Yılmaz 02"))
    expect(choice).to_be_visible()
    expect(page.get_by_role("radio", name="One guest")).to_be_checked()
    choice.check()
    shot(page, "one-guest-360")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Make badges").tap()
    expect(page.get_by_text("Badge for Gökhan Yılmaz 02")).to_be_visible()
    expect(page.get_by_role("button", name="Download PDF")).to_be_visible()
    with live_app.app_context():
        job = db.session.scalar(select(BadgeJob))
        assert (job.status, job.total) == ("done", 1)
    page.context.close()


def test_the_door_prints_a_walk_ins_label(live_door, browser, tmp_path):
    """After registering a walk-in, "Print badge" downloads a one-page 4 by 3 inch label and the
    door page stays put, clean (no CSP or script errors) and without serious axe findings."""
    page = new_phone(browser)
    page.goto(live_door["url"])
    page.get_by_text("Walk-in: not on the list").click()
    page.get_by_label("Name", exact=True).fill("Zoë Νίκος Walker")
    page.get_by_label("Class year").fill("2011")
    page.get_by_role("button", name="Register and check in").click()
    expect(page.locator("#result")).to_contain_text("Welcome, Zoë Νίκος Walker ’11")
    expect(page.locator(".result.is-full")).to_have_count(0, timeout=5_000)  # back to scanning
    button = page.get_by_role("button", name="Print badge for Zoë Νίκος Walker")
    expect(button).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "badges-door-print-390.png"), caret="initial")
    assert serious_violations(page) == []
    with page.expect_download() as info:
        button.tap()
    download = info.value
    path = tmp_path / "label.pdf"
    download.save_as(path)
    assert pages(path) == 1 and "288 x 216 pts" in page_size(path)
    words = text(path)
    assert "Zoë" in words and "Νίκος" in words
    assert page.url == live_door["url"]
    with live_door["app"].app_context():
        walker = db.session.scalar(select(Guest).where(Guest.name == "Zoë Νίκος Walker"))
        assert walker.badge_printed_at is not None
    assert_clean(page)
