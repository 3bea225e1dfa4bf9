"""The door page on a phone: camera scanning, keyboard wedge, search, walk-in, undo, counter."""

import re
import time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from checkin.door import passes
from checkin.extensions import db
from checkin.models import Event, Guest

from .camera import empty_frame, qr_frame, write_y4m
from .door_phone import (
    WELCOME_ADA,
    assert_clean,
    camera_flags,
    count,
    hold,
    is_in,
    new_phone,
    shot,
    wedge_scan,
)


def test_camera_checks_a_guest_in_without_a_tap(live_door, launch, tmp_path):
    """A QR held to the camera admits once; held on, it is ignored; shown again, 'already in'."""
    ada_id, ada_ticket = live_door["people"]["Ada Lovelace"]
    video = write_y4m(tmp_path / "ada.y4m", [(qr_frame(ada_ticket), 3.5), (empty_frame(), 3.5)])
    page = new_phone(launch(*camera_flags(video)))
    page.goto(live_door["url"])
    welcome = page.locator("#result .result")
    expect(welcome).to_contain_text(WELCOME_ADA, timeout=10_000)
    welcomed_at = time.monotonic()
    shot(page, "welcome")
    assert count(live_door["app"], result="admitted") == 1 and is_in(live_door["app"], ada_id)

    expect(page.locator(".result.is-full")).to_have_count(0, timeout=3_000)  # rapid mode
    shot(page, "after-welcome")
    expect(welcome).to_contain_text(
        re.compile(r"Already checked in at \d\d:\d\d by Door 1"), timeout=15_000
    )
    assert time.monotonic() - welcomed_at > 3  # not while the ticket was still held up
    assert count(live_door["app"]) == 2  # one scan each time the ticket came into view
    assert count(live_door["app"], result="admitted") == 1
    shot(page, "already")
    assert_clean(page)


def test_camera_view_loads_our_decoder_and_measures_first_load(live_door, launch, tmp_path, capsys):
    """The camera shows live; the decoder and its wasm come from us; report the bytes loaded."""
    video = write_y4m(tmp_path / "empty.y4m", [(empty_frame(), 1)])
    page = new_phone(launch(*camera_flags(video)))
    page.goto(live_door["url"])
    expect(page.locator("#camera-status")).to_have_text("Point the camera at a ticket's QR code.")
    expect(page.locator("#camera")).to_be_visible()
    assert page.evaluate("document.getElementById('camera').videoWidth") == 640
    page.wait_for_load_state("networkidle")
    shot(page, "camera")
    loaded = {urlsplit(r.url).path: len(r.body()) for r in page.seen["responses"] if r.ok}
    assert any(path.endswith("/zxing_reader.wasm") for path in loaded)
    assert any(path.endswith("/barcode-detector/ponyfill.js") for path in loaded)
    with capsys.disabled():
        print(f"\ndoor page first load: {sum(loaded.values()):,} bytes")
        for path, size in sorted(loaded.items(), key=lambda item: -item[1]):
            print(f"  {size:>9,}  {path if '/door/' not in path else '/door/<token>/'}")
    assert_clean(page)


def test_camera_reads_a_stranger_qr_as_not_on_the_list(live_door, launch, tmp_path):
    """A QR that is no ticket of this event shows red 'Not on the list'."""
    forged = live_door["app"].base_url + "/t/" + "A" * 32
    video = write_y4m(tmp_path / "forged.y4m", [(qr_frame(forged), 1)])
    page = new_phone(launch(*camera_flags(video)))
    page.goto(live_door["url"])
    expect(page.locator(".result.is-full")).to_contain_text("Not on the list", timeout=10_000)
    hold(page)
    shot(page, "not-on-list")
    assert count(live_door["app"], result="unknown") == 1
    assert_clean(page)


def test_without_a_camera_the_page_says_so_and_focuses_the_code_field(live_door, browser):
    """No camera: a plain message, and the code field ready for typing or a scanner."""
    page = new_phone(browser)
    page.goto(live_door["url"])
    expect(page.locator("#camera-status")).to_contain_text("No camera found")
    expect(page.locator("#code")).to_be_focused()
    expect(page.locator("#camera")).to_be_hidden()
    assert not any("zxing" in url for url in page.seen["requests"])  # no camera, no decoder
    assert_clean(page)


def test_keyboard_wedge_scans_clear_the_field_and_keep_focus(live_door, browser):
    """A scanner typing the code and Enter checks in; the field is cleared and ready again."""
    ada_id, ada_ticket = live_door["people"]["Ada Lovelace"]
    page = new_phone(browser)
    page.goto(live_door["url"])
    wedge_scan(page, ada_ticket)
    expect(page.locator("#result")).to_contain_text(WELCOME_ADA)
    expect(page.locator("#code")).to_have_value("")
    expect(page.locator("#code")).to_be_focused()
    wedge_scan(page, ada_ticket)
    admitted = _local_clock(
        live_door["app"], ada_id
    )  # the event's zone, not the server's or phone's
    expect(page.locator("#result")).to_contain_text(f"Already checked in at {admitted} by Door 1")
    assert count(live_door["app"]) == 2 and count(live_door["app"], result="admitted") == 1
    assert is_in(live_door["app"], ada_id)
    assert_clean(page)


def test_a_scan_into_the_search_field_checks_in_instead_of_searching(live_door, browser):
    """A scanner firing while the search field has focus (and text) admits; no search page."""
    ada_id, ada_ticket = live_door["people"]["Ada Lovelace"]
    page = new_phone(browser)
    page.goto(live_door["url"])
    page.locator("#q").press_sequentially("hop", delay=60)
    expect(page.locator("#results li", has_text="Grace Hopper")).to_be_visible()
    page.keyboard.type(ada_ticket)  # still in the search field, after "hop"
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_contain_text(WELCOME_ADA)
    assert urlsplit(page.url).path == urlsplit(live_door["url"]).path  # not the search page
    expect(page.locator("#q")).to_have_value("")
    expect(page.locator("#results li")).to_have_count(0)
    expect(page.locator("#code")).to_be_focused()  # ready for the next scan
    assert is_in(live_door["app"], ada_id) and count(live_door["app"]) == 1
    assert_clean(page)


def test_a_scan_after_tapping_a_button_is_not_lost(live_door, browser):
    """With no field focused (a button was tapped), what a scanner types goes to the code field."""
    ada_id, ada_ticket = live_door["people"]["Ada Lovelace"]
    page = new_phone(browser)
    page.goto(live_door["url"])
    page.locator("#q").press_sequentially("hop", delay=60)
    page.get_by_role("button", name="Check in Grace Hopper").tap()
    expect(page.locator(".result.is-full")).to_contain_text("Welcome, Grace Hopper")
    page.get_by_role("button", name="Next scan").tap()
    assert page.evaluate("document.activeElement.tagName") != "INPUT"
    page.keyboard.type(ada_ticket)
    page.keyboard.press("Enter")
    expect(page.locator("#result")).to_contain_text(WELCOME_ADA)
    assert is_in(live_door["app"], ada_id)
    assert_clean(page)


def test_each_answer_sounds_and_buzzes_its_own_way(live_door, browser):
    """Welcome, already in and not on the list each beep and vibrate with their own pattern."""
    page = new_phone(browser)
    page.context.add_init_script(CUE_SPY)
    page.goto(live_door["url"])
    ada_ticket = live_door["people"]["Ada Lovelace"][1]
    cues = []
    for text, expected in ((ada_ticket, WELCOME_ADA), (ada_ticket, "Already"), ("HELLO", "Not on")):
        wedge_scan(page, text)  # a key press: the browser now lets the page make sound
        expect(page.locator(".result.is-full")).to_contain_text(expected)
        cues.append(page.evaluate("window.cues.splice(0)"))
    assert cues == [
        [["buzz", [60]], ["tone", 880], ["tone", 1320]],
        [["buzz", [80, 60, 80]], ["tone", 660], ["tone", 660]],
        [["buzz", [250, 100, 250]], ["tone", 180]],
    ]
    assert_clean(page)


def test_search_by_name_then_check_in(live_door, browser):
    """Typing part of a name lists matches; 'Check in' on a row admits that guest."""
    grace_id, _ = live_door["people"]["Grace Hopper"]
    page = new_phone(browser)
    page.goto(live_door["url"])
    page.locator("#q").press_sequentially("hop", delay=60)
    row = page.locator("#results li", has_text="Grace Hopper ’34")
    expect(row).to_be_visible()
    page.locator("#q").blur()
    page.locator("#results").scroll_into_view_if_needed()
    shot(page, "search-results")
    row.get_by_role("button", name="Check in Grace Hopper").click()
    expect(page.locator("#result")).to_contain_text("Welcome, Grace Hopper ’34")
    assert is_in(live_door["app"], grace_id)
    expect(row).to_contain_text(re.compile(r"In since \d\d:\d\d"))  # the rows refresh
    assert_clean(page)


def test_walk_in_registers_and_checks_in(live_door, browser):
    """A walk-in is registered and admitted at once, and the form comes back empty."""
    page = new_phone(browser)
    page.goto(live_door["url"])
    page.get_by_text("Walk-in: not on the list").click()
    page.get_by_label("Name", exact=True).fill("Katherine Johnson")
    page.get_by_label("Email", exact=True).fill("katherine@example.org")
    page.get_by_label("Class year").fill("1937")
    page.locator("#walk-in").scroll_into_view_if_needed()
    shot(page, "walk-in")
    page.get_by_role("button", name="Register and check in").click()
    expect(page.locator("#result")).to_contain_text("Welcome, Katherine Johnson ’37")
    with live_door["app"].app_context():
        person = db.session.scalar(select(Guest).where(Guest.name == "Katherine Johnson"))
        assert person.source == "walk_in" and person.checked_in_at is not None
    expect(page.get_by_label("Name", exact=True)).to_have_value("")
    assert_clean(page)


def test_walk_in_errors_are_shown_and_focused(live_door, browser):
    """A walk-in without a name comes back with the error, the cursor in the name field."""
    page = new_phone(browser)
    page.goto(live_door["url"])
    page.get_by_text("Walk-in: not on the list").click()
    page.get_by_label("Class year").fill("1999")
    page.get_by_role("button", name="Register and check in").click()
    expect(page.locator("#name-errors")).to_have_text("This field is required.")
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    expect(page.get_by_label("Class year")).to_have_value("1999")  # nothing typed is lost
    shot(page, "walk-in-errors")
    assert count(live_door["app"]) == 0
    assert_clean(page)


def test_undo_takes_the_check_in_back(live_door, browser):
    """Undo on a welcome returns the guest to not checked in, on the server too."""
    ada_id, ada_ticket = live_door["people"]["Ada Lovelace"]
    page = new_phone(browser)
    page.goto(live_door["url"])
    wedge_scan(page, ada_ticket)
    expect(page.locator("#result")).to_contain_text(WELCOME_ADA)
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#result")).to_contain_text("Check-in undone Ada Lovelace")
    assert not is_in(live_door["app"], ada_id)
    assert_clean(page)


def test_result_goes_back_to_the_camera_after_two_seconds(live_door, browser):
    """Rapid mode: the full-screen answer steps aside after about 2 s, leaving a strip."""
    page = new_phone(browser)
    page.goto(live_door["url"])
    wedge_scan(page, live_door["people"]["Maya Iyer"][1])
    expect(page.locator(".result.is-full")).to_be_visible()
    started = time.monotonic()
    expect(page.locator(".result.is-full")).to_have_count(0, timeout=4_000)
    assert 1.5 < time.monotonic() - started < 3
    expect(page.locator("#result .result")).to_contain_text("Welcome, Maya Iyer ’21")


def test_a_pass_revoked_mid_evening_says_so_and_keeps_the_code(live_door, browser):
    """If the door link ends while the page is open, a scan explains why nothing happened."""
    page = new_phone(browser)
    page.goto(live_door["url"])
    with live_door["app"].app_context():
        for door_pass in passes.passes_of(db.session.scalars(select(Event)).one()):
            passes.revoke(door_pass)
    ada_ticket = live_door["people"]["Ada Lovelace"][1]
    wedge_scan(page, ada_ticket)
    expect(page.locator("#door-alert")).to_have_text(
        "This door link has expired or was revoked. Ask the organizer for a new one.", timeout=8_000
    )
    expect(page.locator("#code")).to_have_value(ada_ticket)  # nothing typed is lost
    expect(page.locator("#sync-expired")).to_be_hidden()  # nothing kept: one banner, not two
    assert count(live_door["app"]) == 0


def test_counter_reaches_another_phone_within_five_seconds(live_door, browser):
    """A check-in at one phone shows on another phone's counter within 5 s."""
    first, second = new_phone(browser), new_phone(browser)
    second.goto(live_door["url"])
    first.goto(live_door["url"])
    expect(second.locator("#counter")).to_have_text("0 of 6 checked in")
    wedge_scan(first, live_door["people"]["Chloé Dubois"][1])
    expect(first.locator("#result")).to_contain_text("Welcome, Chloé Dubois ’15")
    expect(second.locator("#counter")).to_have_text("1 of 6 checked in", timeout=5_000)
    assert_clean(first)
    assert_clean(second)


CUE_SPY = """
window.cues = [];
const vibrate = navigator.vibrate.bind(navigator);
navigator.vibrate = (pattern) => { window.cues.push(["buzz", pattern]); return vibrate(pattern); };
const oscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  const made = oscillator.call(this);
  const start = made.start.bind(made);
  made.start = (at) => { window.cues.push(["tone", made.frequency.value]); return start(at); };
  return made;
};
"""


def _local_clock(app, attendee_id) -> str:
    """When the guest was admitted, on the event's wall clock (the fixture's New York)."""
    with app.app_context():
        moment = db.session.get(Guest, attendee_id).checked_in_at
        return moment.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")
