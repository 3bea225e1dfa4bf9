"""Cards recorded offline on a phone: named from the room list kept on it, saved in the outbox,
sent once after reconnecting; an ended session or another person signing in loses nothing."""

import contextlib
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import select

from checkin.extensions import db
from checkin.models import Card, utcnow

from .axe import serious_violations
from .camera import empty_frame, qr_frame, write_y4m
from .conftest import SCREENSHOTS, create_event, guests_in_the_room
from .door_phone import assert_clean, camera_flags, new_phone, wait_for_async

NOTE = "Offline at the bar: intro to the rowing coach, note-7f3a"
SAVED = "Saved on this phone; it will be sent when you’re back online (1 waiting)"
PAGE_KEPT = """async (url) => (await caches.has("checkin-pages"))
  && Boolean(await (await caches.open("checkin-pages")).match(url))"""
LIST_KEPT = """(key) => {
  const kept = JSON.parse(localStorage.getItem(key) || "null");
  return Boolean(kept && kept.people.length);
}"""


@pytest.fixture
def live_cards_room(live_app):
    """An event happening now: Ada, Grace and Maya in and findable; Alan in, not findable."""
    with live_app.app_context():
        now = utcnow().astimezone(ZoneInfo("Europe/Dublin"))
        event = create_event(now - timedelta(hours=1), "Alumni Reunion 2026", "Trinity Hall")
        guests = [
            ("Ada Lovelace", 2009, True),
            ("Grace Hopper", 2010, True),
            ("Maya Iyer", 2011, True),
            ("Alan Turing", 2008, False),
        ]
        people = guests_in_the_room(
            event, [(name, year, {"consent_findable": f}) for name, year, f in guests]
        )
        slug = event.slug
    return {"app": live_app, "slug": slug, "people": people, "base": live_app.base_url}


def cards_of(app, author_id: int) -> list[tuple[int, str]]:
    """(subject id, note) of each card the author holds on the server."""
    with app.app_context():
        found = db.session.scalars(select(Card).where(Card.author_id == author_id))
        return [(card.subject_id, card.note) for card in found]


def shot(page, name: str) -> None:
    """What the phone shows now (the viewport)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"cards-offline-{name}.png"), caret="initial")


def sign_in(page, who: dict) -> None:
    """Open the personal link and tap Continue: the event home."""
    page.goto(who["link"])
    page.get_by_role("button", name=re.compile(r"^Continue as ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hi, "))


def ready_offline(page, room, who: dict) -> str:
    """Signed in, the worker in control, the room list kept, the scan page kept: its URL."""
    sign_in(page, who)
    # A worker that finished installing while the sign-in redirect was under way controls the
    # next page, not this one (clients.claim() came before this page existed): load it again.
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_function(LIST_KEPT, arg=f"checkin:people:{room['slug']}:{who['id']}")
    scan = f"{room['base']}/e/{room['slug']}/scan"
    page.goto(scan)
    wait_for_async(page, PAGE_KEPT, scan)  # an async predicate: wait_for_function would not wait
    return scan


def cards_posted(page) -> int:
    """POSTs to the cards API the page has made so far."""
    return sum(1 for r in page.seen["posts"] if r.endswith("/cards"))


def watch_posts(page) -> None:
    page.seen["posts"] = []
    page.on("request", lambda r: r.method == "POST" and page.seen["posts"].append(r.url))


def no_serious_findings(page, where: str) -> None:
    assert serious_violations(page) == [], where


def test_a_card_scanned_offline_arrives_once_with_its_note(live_cards_room, launch, tmp_path):
    """Offline, Grace's QR is named from the kept list; saved with a note; a reload keeps it
    waiting; back online it is sent once; a reload sends nothing again."""
    ada, grace = live_cards_room["people"]["Ada"], live_cards_room["people"]["Grace"]
    video = write_y4m(tmp_path / "grace.y4m", [(empty_frame(), 1), (qr_frame(grace["ticket"]), 3)])
    page = new_phone(launch(*camera_flags(video)))
    watch_posts(page)
    scan = ready_offline(page, live_cards_room, ada)

    page.context.set_offline(True)
    page.reload()  # served by the service worker from the kept copy
    form = page.locator("#card-form")
    expect(form).to_contain_text("Add Grace Hopper ’10 to people you met", timeout=20_000)
    expect(form).to_contain_text("No connection")
    page.get_by_label("Note").fill(NOTE)
    page.locator("label[for=tag-intro]").click()
    shot(page, "form-390")
    no_serious_findings(page, "card form offline")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".saved-offline")).to_contain_text(SAVED)
    expect(page.locator(".saved-offline")).to_contain_text("Grace Hopper ’10")
    sync = page.locator("#outbox-bar [data-sync]")
    expect(sync).to_have_text("Sync now (1 waiting)")
    shot(page, "saved-390")
    no_serious_findings(page, "saved offline")
    assert cards_of(live_cards_room["app"], ada["id"]) == []

    page.reload()  # still offline: the kept page, the card still waiting
    expect(page).to_have_url(scan)
    expect(sync).to_have_text("Sync now (1 waiting)")
    expect(page.locator("#card-slot")).to_contain_text("already on your cards", timeout=20_000)
    assert cards_of(live_cards_room["app"], ada["id"]) == []

    page.context.set_offline(False)  # sent by itself: on "online", focus, or within 30 s
    bar = page.locator("#outbox-bar")
    expect(bar).to_contain_text("Sent: 1 card saved on this phone", timeout=40_000)
    expect(sync).to_be_hidden()
    assert cards_of(live_cards_room["app"], ada["id"]) == [(grace["id"], NOTE)]
    with live_cards_room["app"].app_context():
        card = db.session.scalar(select(Card).where(Card.author_id == ada["id"]))
        assert (card.tags, card.via) == (["intro"], "scan")
    posted = cards_posted(page)

    page.reload()  # online: Grace's QR now opens her card; nothing is left to send
    expect(page).to_have_url(re.compile(r"/cards/\d+$"), timeout=20_000)
    page.wait_for_function("() => window.CheckinCards !== undefined")
    page.wait_for_timeout(1000)  # the load-time flush had its chance
    assert cards_posted(page) == posted
    assert page.evaluate("() => window.CheckinCards.count()") == 0
    expect(page.locator("#outbox-bar")).to_be_hidden()
    assert cards_of(live_cards_room["app"], ada["id"]) == [(grace["id"], NOTE)]
    assert_clean(page)


def queue_typed_offline(page, room, who: dict, subject: dict, note: str = NOTE) -> None:
    """Offline, type the subject's code on the kept scan page and save a card with a note."""
    ready_offline(page, room, who)
    page.context.set_offline(True)
    page.reload()
    page.get_by_label("Or type their ticket code").fill(subject["ticket"])
    page.get_by_role("button", name="Look up").click()
    expect(page.locator("#card-form")).to_contain_text("No connection")
    page.get_by_label("Note").fill(note)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".saved-offline")).to_contain_text(SAVED)


def test_an_ended_session_keeps_the_cards_until_signing_in_again(live_cards_room, browser):
    """The session ends while a card waits: the phone keeps it and says what it needs; after
    the personal link is opened again the card is sent, once."""
    ada, maya = live_cards_room["people"]["Ada"], live_cards_room["people"]["Maya"]
    page = new_phone(browser)
    queue_typed_offline(page, live_cards_room, ada, maya)
    shot(page, "typed-saved-390")
    page.set_viewport_size({"width": 360, "height": 780})
    shot(page, "saved-360")
    page.set_viewport_size({"width": 390, "height": 844})

    page.context.clear_cookies()  # the session and its remember-me cookie are gone
    page.context.set_offline(False)
    page.locator("#outbox-bar [data-sync]").click()
    bar = page.locator("#outbox-bar")
    expect(bar).to_contain_text("Open your personal link again to send 1 saved card")
    again = bar.get_by_role("link", name="Email me my link again")
    expect(again).to_have_attribute("href", f"/e/{live_cards_room['slug']}/link-again")
    expect(bar.locator("[data-sync]")).to_have_text("Sync now (1 waiting)")
    shot(page, "session-390")
    no_serious_findings(page, "session ended")
    page.set_viewport_size({"width": 360, "height": 780})
    shot(page, "session-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert cards_of(live_cards_room["app"], ada["id"]) == []
    assert page.evaluate("() => window.CheckinCards.count()") == 1

    sign_in(page, ada)  # the personal link again: home sends what waited
    expect(page.locator("#outbox-bar")).to_contain_text("Sent: 1 card saved on this phone")
    assert cards_of(live_cards_room["app"], ada["id"]) == [(maya["id"], NOTE)]
    assert page.evaluate("() => window.CheckinCards.count()") == 0
    assert_clean(page)


def test_someone_else_signing_in_here_sees_and_sends_nothing_of_the_first(live_cards_room, browser):
    """Grace signs in on the phone where Ada's card waits: she sees no waiting card and none
    of Ada's kept pages offline, and sends nothing; Ada's card goes when Ada is back."""
    ada, grace, maya = (live_cards_room["people"][n] for n in ("Ada", "Grace", "Maya"))
    page = new_phone(browser)
    watch_posts(page)
    queue_typed_offline(page, live_cards_room, ada, maya)
    page.goto("about:blank")  # Ada hands the phone over before it is back online
    page.context.set_offline(False)

    sign_in(page, grace)
    page.wait_for_function("() => window.CheckinCards !== undefined")
    page.wait_for_timeout(1000)  # the load-time flush had its chance
    assert cards_posted(page) == 0
    expect(page.locator("#outbox-bar")).to_be_hidden()
    assert page.evaluate("() => window.CheckinCards.count()") == 0
    assert (
        cards_of(live_cards_room["app"], ada["id"]) == []
        and cards_of(live_cards_room["app"], grace["id"]) == []
    )
    kept_list = f"checkin:people:{live_cards_room['slug']}:{ada['id']}"
    assert page.evaluate("(key) => localStorage.getItem(key)", kept_list) is None

    page.context.set_offline(True)
    for path in ("scan", "cards"):  # Ada's kept pages are forgotten
        page.goto(f"{live_cards_room['base']}/e/{live_cards_room['slug']}/{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
        assert NOTE not in page.content() and "Ada" not in page.content()
    page.context.set_offline(False)

    sign_in(page, ada)
    expect(page.locator("#outbox-bar")).to_contain_text("Sent: 1 card saved on this phone")
    assert cards_of(live_cards_room["app"], ada["id"]) == [(maya["id"], NOTE)]
    assert cards_of(live_cards_room["app"], grace["id"]) == []
    assert_clean(page)


def test_offline_a_code_not_in_the_kept_list_is_not_guessed(live_cards_room, browser):
    """Alan is not findable, so his QR cannot be named offline: the phone says so, saves nothing."""
    ada, alan = live_cards_room["people"]["Ada"], live_cards_room["people"]["Alan"]
    page = new_phone(browser)
    ready_offline(page, live_cards_room, ada)
    page.context.set_offline(True)
    page.reload()
    page.get_by_label("Or type their ticket code").fill(alan["ticket"])
    page.get_by_role("button", name="Look up").click()
    expect(page.locator("#card-slot .scan-problem")).to_contain_text(
        "can name only people who are checked in and findable"
    )
    expect(page.locator("#card-form")).to_have_count(0)
    assert "Alan" not in page.content()
    assert page.evaluate("() => window.CheckinCards.count()") == 0
    assert_clean(page)


def test_a_save_with_no_answer_is_kept_and_recorded_once(live_cards_room, browser):
    """Online, Grace's card form comes from the server, but Save hears nothing for 2.5 s: the
    phone keeps the card under the same nonce; the late request and the kept copy make one card."""
    ada, grace = live_cards_room["people"]["Ada"], live_cards_room["people"]["Grace"]
    page = new_phone(browser)
    ready_offline(page, live_cards_room, ada)
    held = []
    page.route("**/api/v1/events/*/cards", lambda route: held.append(route))  # no answer comes
    page.get_by_label("Or type their ticket code").fill(grace["ticket"])
    page.get_by_role("button", name="Look up").click()
    form = page.locator("#card-form")
    expect(form).to_contain_text("Add Grace Hopper ’10 to people you met")
    expect(form).to_have_attribute("data-api", re.compile(r"/cards$"))  # the server's form
    expect(form).not_to_contain_text("No connection")
    page.get_by_label("Note").fill(NOTE)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".saved-offline")).to_contain_text(SAVED)
    # The Save, and perhaps a Background Sync flush of the kept copy: all held, none answered.
    assert held and cards_of(live_cards_room["app"], ada["id"]) == []

    page.unroute("**/api/v1/events/*/cards")
    for route in held:  # they reach the server after all, late (if Chromium still sends them)
        with contextlib.suppress(PlaywrightError):
            route.continue_()
    # Sent by the flush under way, or the next one (Background Sync, focus, every 30 s).
    expect(page.locator("#outbox-bar")).to_contain_text("Sent: 1 card", timeout=40_000)
    assert cards_of(live_cards_room["app"], ada["id"]) == [(grace["id"], NOTE)]
    assert page.evaluate("() => window.CheckinCards.count()") == 0
    assert_clean(page)
