"""The door page is accessible in every state and fits a narrow phone."""

from playwright.sync_api import expect

from checkin.events import tickets
from checkin.extensions import db
from checkin.models import Guest

from .axe import serious_violations
from .door_phone import WELCOME_ADA, assert_clean, hold, is_in, new_phone, shot, wedge_scan


def show(page, expected: str) -> None:
    """Wait for a full-screen result and keep it up while it is checked."""
    expect(page.locator(".result.is-full")).to_contain_text(expected)
    hold(page)


def test_no_serious_accessibility_findings_in_any_state(live_door, browser):
    """axe-core finds nothing serious or critical on the page or on any result."""
    ada, grace = live_door["people"]["Ada Lovelace"][1], live_door["people"]["Grace Hopper"][1]
    page = new_phone(browser)
    page.goto(live_door["url"])
    expect(page.locator("#camera-status")).to_contain_text("No camera found")
    assert serious_violations(page) == [], "page"
    wedge_scan(page, ada)
    show(page, WELCOME_ADA)
    assert serious_violations(page) == [], "welcome"
    wedge_scan(page, ada)
    show(page, "Already checked in")
    assert serious_violations(page) == [], "already checked in"
    wedge_scan(page, "HELLO")
    show(page, "Not on the list")
    assert serious_violations(page) == [], "not on the list"
    wedge_scan(page, grace)
    show(page, "Welcome, Grace Hopper")
    page.get_by_role("button", name="Undo").click()
    show(page, "Check-in undone")
    shot(page, "undone")
    assert serious_violations(page) == [], "undone"
    page.get_by_role("button", name="Next scan").click()
    assert serious_violations(page) == [], "last-scan strip"
    page.locator("#q").fill("a")
    expect(page.locator("#results li").first).to_be_visible()
    page.get_by_text("Walk-in: not on the list").click()
    page.get_by_label("Email", exact=True).fill("not an email")
    page.get_by_role("button", name="Register and check in").click()
    expect(page.locator("#email-errors")).to_have_text("Invalid email address.")  # a 422, swapped
    assert serious_violations(page) == [], "search results and a walk-in form with errors"
    assert_clean(page)


def test_old_ticket_is_amber_and_accessible(live_door, browser):
    """A replaced ticket shows 'Old ticket', with no serious axe findings."""
    ada_id, old = live_door["people"]["Ada Lovelace"]
    with live_door["app"].app_context():
        tickets.issue(db.session.get(Guest, ada_id))
        db.session.commit()
    page = new_phone(browser)
    page.goto(live_door["url"])
    wedge_scan(page, old)
    expect(page.locator(".result.is-full")).to_contain_text("Old ticket")
    hold(page)
    shot(page, "old-ticket")
    assert serious_violations(page) == []
    assert not is_in(live_door["app"], ada_id)


def test_narrow_phone_has_nothing_cramped(live_door, browser):
    """At 360 px wide nothing scrolls sideways and every button is at least 48 px tall."""
    page = new_phone(browser, width=360, height=740)
    page.goto(live_door["url"])
    page.locator("#q").fill("o")
    expect(page.locator("#results li").first).to_be_visible()
    page.get_by_text("Walk-in: not on the list").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    heights = page.evaluate("""() => [...document.querySelectorAll('button, summary, input')]
        .filter(e => e.offsetParent && e.type !== 'hidden')
        .map(e => [e.textContent.trim() || e.name, e.getBoundingClientRect().height])""")
    assert [h for h in heights if h[1] < 48] == []
    shot(page, "360", full_page=True)
    wedge_scan(page, live_door["people"]["Oisín O'Brien"][1])
    expect(page.locator(".result.is-full")).to_contain_text("Welcome, Oisín O'Brien ’98")
    hold(page)
    shot(page, "welcome-360")
    assert_clean(page)


def test_a_long_name_wraps_inside_a_narrow_phone(live_door, browser):
    """A long walk-in name wraps on a 360 px screen, clear of the buttons, nothing sideways."""
    page = new_phone(browser, width=360, height=740)
    page.goto(live_door["url"])
    page.get_by_text("Walk-in: not on the list").click()
    page.get_by_label("Name", exact=True).fill("Maximilian Oberhauser-Wittgenstein")
    page.get_by_label("Class year").fill("2009")
    page.get_by_role("button", name="Register and check in").click()
    show(page, "Welcome, Maximilian Oberhauser-Wittgenstein ’09")
    shot(page, "long-name-360")
    name = page.locator(".result.is-full .result-name").bounding_box()
    buttons = page.locator(".result.is-full .result-actions").bounding_box()
    assert name["x"] >= 0 and name["x"] + name["width"] <= 360
    assert name["y"] + name["height"] <= buttons["y"]  # the name is not hidden behind Undo
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    font = page.locator(".result.is-full .result-title").evaluate(
        "e => getComputedStyle(e).fontSize"
    )
    assert float(font.removesuffix("px")) >= 30  # readable at arm's length
    assert_clean(page)
