"""The guest's pages on two phones: sign in by personal link, scan, connect back, consent."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from checkin.extensions import db
from checkin.models import Card, Guest, utcnow
from checkin.room import cards

from .axe import serious_violations
from .camera import qr_frame, write_y4m
from .conftest import SCREENSHOTS, create_event, guests_in_the_room
from .door_phone import assert_clean, camera_flags, new_phone

NOTE = "Ask about the compiler team, A-only-7c1d"
# name, year, profile; all checked in and findable except where a test says otherwise.
GUESTS = [
    (
        "Ada Lovelace",
        2009,
        {
            "residence_hall": "Watson Hall",
            "clubs": "Rowing",
            "city": "Boston",
            "industry": "Software",
            "interests": "fintech; poetry",
            "wants_help_with": "product management",
        },
    ),
    (
        "Grace Hopper",
        2010,
        {
            "residence_hall": "Watson Hall",
            "clubs": "Rowing; Debate",
            "city": "Boston",
            "industry": "Defense",
            "interests": "compilers",
            "can_help_with": "product management",
            "role": "Rear admiral",
            "employer": "US Navy",
            "networking_email": "grace@navy.example",
        },
    ),
    (
        "Maya Iyer",
        2011,
        {
            "residence_hall": "Watson Hall",
            "clubs": "Debate",
            "interests": "fintech",
            "role": "Product manager",
            "employer": "Stripe",
            "city": "Dublin",
        },
    ),
    (
        "Chloé Dubois",
        2008,
        {
            "city": "Boston",
            "interests": "poetry",
            "role": "Editor",
            "employer": "Le Monde diplomatique",
        },
    ),
    ("Oisín O'Brien", 2009, {"industry": "Software", "clubs": "Rowing"}),
    ("Katherine Johnson", 2012, {"city": "Boston", "interests": "fintech"}),
    ("Nikos Papadopoulos", 1987, {"industry": "Shipping"}),
]


@pytest.fixture
def live_room(live_app):
    """An event happening now with six guests in the room, and their personal links."""
    with live_app.app_context():
        now = utcnow().astimezone(ZoneInfo("Europe/Dublin"))
        event = create_event(
            now - timedelta(hours=1), "Alumni Reunion 2026", "Trinity Hall", "Europe/Dublin"
        )
        guests = [(name, year, {"consent_findable": True, **p}) for name, year, p in GUESTS]
        people = guests_in_the_room(event, guests)
        slug = event.slug
    return {"app": live_app, "slug": slug, "people": people}


def shot(page, name: str, full_page: bool = True) -> None:
    """Save the page to look at: whole, or the screen as the phone shows it (sticky Save bar)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret makes Playwright add a style that the CSP then reports.
    page.screenshot(
        path=str(SCREENSHOTS / f"room-{name}.png"), caret="initial", full_page=full_page
    )


def sign_in(browser, who: dict, width: int = 390):
    """A phone that opened its personal link and tapped Continue: now on the event home."""
    page = new_phone(browser, width=width)
    page.goto(who["link"])
    page.get_by_role("button", name=re.compile(r"^Continue as ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hi, "))
    return page


def cards_of(app, author_id: int) -> list[Card]:
    with app.app_context():
        found = list(db.session.scalars(select(Card).where(Card.author_id == author_id)))
        db.session.expunge_all()
        return found


def no_serious_findings(page, where: str) -> None:
    assert serious_violations(page) == [], where


def test_scan_connect_back_and_consent_on_two_phones(live_room, launch, tmp_path):
    """A scans B and saves a note in one tap; B connects back; contacts after both consent."""
    ada, grace = live_room["people"]["Ada"], live_room["people"]["Grace"]
    video = write_y4m(tmp_path / "grace.y4m", [(qr_frame(grace["ticket"]), 2)])
    phones = launch(*camera_flags(video))
    a = sign_in(phones, ada)
    expect(a.locator("#suggestions")).to_contain_text("You both lived in Watson Hall")
    shot(a, "home-390")
    no_serious_findings(a, "home")

    a.get_by_role("link", name="Scan someone").click()
    form = a.locator("#card-form")
    expect(form).to_contain_text("Add Grace Hopper ’10 to people you met", timeout=15_000)
    expect(form.locator(".chips")).to_contain_text("You both lived in Watson Hall")
    a.get_by_label("Note").fill(NOTE)
    a.locator("label[for=tag-coffee]").click()
    shot(a, "scan-card-form-390", full_page=False)
    no_serious_findings(a, "card form")
    a.get_by_role("button", name="Save", exact=True).click()  # the one tap
    expect(a.get_by_role("heading", level=1)).to_have_text("Grace Hopper ’10")
    expect(a.locator("main")).to_contain_text(NOTE)
    no_serious_findings(a, "the saved card")
    [card] = cards_of(live_room["app"], ada["id"])
    assert (card.note, card.tags, card.via) == (NOTE, ["coffee"], "scan")
    expect(a.locator("main")).to_contain_text("Waiting for Grace to add you too")

    b = sign_in(phones, grace)
    waiting = b.locator("#waiting")
    expect(waiting).to_contain_text("Ada Lovelace")
    b.get_by_role("button", name="Connect back with Ada Lovelace").click()
    expect(b.locator("main")).to_contain_text("Connected")
    expect(b.locator("main")).not_to_contain_text("ada@example.org")
    a.reload()
    expect(a.locator("main")).to_contain_text("Connected")
    expect(a.locator("main")).to_contain_text("Contact details are shared only when both")

    for phone in (a, b):  # both choose to share, on the profile page
        phone.get_by_role("link", name="Profile", exact=True).click()
        phone.get_by_label("Share my contact details with people I connect with").check()
        phone.get_by_role("button", name="Save profile").click()
        expect(phone.locator(".flash")).to_have_text("Your profile is saved.")
    a.get_by_role("link", name="Met", exact=True).click()
    expect(a.locator(".met-list")).to_contain_text("grace@navy.example")
    b.get_by_role("link", name="Met", exact=True).click()
    expect(b.locator(".met-list")).to_contain_text("ada@example.org")
    shot(b, "met-list-390")
    no_serious_findings(b, "people I met")

    for url in everywhere_b_goes(live_room, b):  # A's note stays A's
        if url.endswith((".csv", ".vcf")):  # B's own exports: downloads, read as files
            export = b.request.get(url)
            assert export.ok and NOTE not in export.text(), url
            continue
        b.goto(url)
        assert NOTE not in b.content(), url
    api = b.request.get(f"{live_room['app'].base_url}/api/v1/events/{live_room['slug']}/cards")
    assert api.ok and NOTE not in api.text()
    assert_clean(a)
    assert_clean(b)


def everywhere_b_goes(room, page) -> list[str]:
    """Every page B's session reaches: the app's pages, Ada's ticket link, each link on them."""
    base = f"{room['app'].base_url}/e/{room['slug']}"
    urls = {
        f"{base}/",
        f"{base}/cards",
        f"{base}/people",
        f"{base}/profile",
        f"{base}/scan",
        room["people"]["Ada"]["ticket"],
    }
    for start in list(urls):
        page.goto(start)
        hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.href)")
        urls |= {href for href in hrefs if href.startswith(base)}
    return sorted(urls)


@pytest.mark.parametrize("width", [390, 360])
def test_phone_screens_look_right_and_pass_axe(live_room, browser, width):
    """Home, suggestions, the card form and the profile at 390 and 360 px, axe-clean."""
    a = sign_in(browser, live_room["people"]["Ada"], width=width)
    suggestions = a.locator("#suggestions .suggestion")
    expect(suggestions).to_have_count(5)
    expect(suggestions.first.locator(".reasons li").first).to_be_visible()
    shot(a, f"home-{width}")
    a.locator("#suggestions").scroll_into_view_if_needed()
    a.screenshot(path=str(SCREENSHOTS / f"room-suggestions-{width}.png"), caret="initial")
    no_serious_findings(a, "home")
    assert a.evaluate("document.documentElement.scrollWidth") <= width  # nothing sideways

    maya = suggestions.filter(has_text="Maya Iyer")
    maya.get_by_role("link", name=re.compile("^We met")).click()
    expect(a.locator("h1")).to_contain_text("Add Maya Iyer ’11 to people you met")
    a.locator("label[for=starred]").click()
    expect(a.locator("#starred")).to_be_checked()
    shot(a, f"card-form-{width}", full_page=False)
    no_serious_findings(a, "card form")
    assert a.evaluate("document.documentElement.scrollWidth") <= width

    a.get_by_role("link", name="Scan", exact=True).click()
    expect(a.locator("#camera-status")).to_contain_text("No camera found")
    shot(a, f"scan-{width}")
    no_serious_findings(a, "scan page without a camera")
    a.get_by_role("link", name="Find by name instead").click()
    a.get_by_label("Name").press_sequentially("hop", delay=40)
    expect(a.locator("#people li")).to_have_count(1)
    expect(a.locator("#people")).to_contain_text("Grace Hopper ’10")
    no_serious_findings(a, "the room list")

    a.get_by_role("link", name="Profile", exact=True).click()
    a.get_by_label("LinkedIn profile").fill("https://example.com/ada")
    a.get_by_label("Email for new contacts").focus()  # leaving the field checks it
    expect(a.locator("#linkedin_url-errors")).to_contain_text("https://www.linkedin.com/")
    shot(a, f"profile-{width}", full_page=False)
    no_serious_findings(a, "profile with an inline error")
    assert a.evaluate("document.documentElement.scrollWidth") <= width
    assert_clean(a)


def test_tag_suggestions_appear_as_you_type(live_room, browser):
    """The interests field offers what others entered, completing the tag being typed."""
    a = sign_in(browser, live_room["people"]["Ada"])
    a.get_by_role("link", name="Profile", exact=True).click()
    field = a.get_by_label("Interests")
    field.fill("")
    field.press_sequentially("poetry; comp", delay=40)
    options = a.locator("#interests-options option")
    expect(options).to_have_count(1)
    assert options.first.get_attribute("value") == "poetry; compilers"
    assert_clean(a)


def test_a_ticket_link_opened_by_the_phone_camera_app(live_room, browser):
    """Signed in: Grace's QR opens "Add Grace"; not signed in: her name and how to sign in."""
    grace = live_room["people"]["Grace"]
    a = sign_in(browser, live_room["people"]["Ada"])
    a.goto(grace["ticket"])
    expect(a.locator("h1")).to_contain_text("Add Grace Hopper ’10 to people you met")
    a.get_by_label("Note").fill("Met at the bar")
    a.get_by_role("button", name="Save", exact=True).click()
    expect(a.locator("h1")).to_have_text("Grace Hopper ’10")
    assert [c.via for c in cards_of(live_room["app"], live_room["people"]["Ada"]["id"])] == ["link"]

    stranger = new_phone(browser)
    stranger.goto(grace["ticket"])
    expect(stranger.locator("h1")).to_contain_text("Grace Hopper")
    expect(stranger.get_by_role("link", name="Email me my link again")).to_be_visible()
    expect(stranger.locator("body")).not_to_contain_text("Rear admiral")
    shot(stranger, "ticket-stranger-390")
    no_serious_findings(stranger, "ticket page for a stranger")
    assert_clean(a)
    assert_clean(stranger)


def test_scanning_a_stranger_then_someone_already_met(live_room, launch, tmp_path):
    """Another event's QR: "not a ticket here", then scanning goes on; a known face: their card."""
    ada, grace = live_room["people"]["Ada"], live_room["people"]["Grace"]
    with live_room["app"].app_context():
        me, other = (db.session.get(Guest, p["id"]) for p in (ada, grace))
        card_id = cards.record(me, other, "nonce-already-met", "Met at lunch").card.id
    forged = live_room["app"].base_url + "/t/" + "A" * 32
    video = write_y4m(tmp_path / "two.y4m", [(qr_frame(forged), 2), (qr_frame(grace["ticket"]), 6)])
    a = sign_in(launch(*camera_flags(video)), ada)
    a.get_by_role("link", name="Scan someone").click()
    expect(a.locator("#card-slot")).to_contain_text("not a ticket for this event", timeout=15_000)
    expect(a).to_have_url(re.compile(rf"/cards/{card_id}$"), timeout=20_000)
    expect(a.locator("main")).to_contain_text("Met at lunch")
    assert len(cards_of(live_room["app"], ada["id"])) == 1
    assert_clean(a)
