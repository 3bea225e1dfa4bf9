"""Registration settings and the waitlist on a phone at 390x844 (and 360 wide), with axe-core:
the organizer sets capacity and questions and opens registration, approves someone; a guest
says "I can't come after all", and the next person on the waitlist accepts the place by the
emailed link (a real SMTP server on loopback)."""

import re
import secrets
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from checkin.accounts import personal_links
from checkin.database import writing
from checkin.events import tickets
from checkin.extensions import db
from checkin.models import Event, Guest, Registration, utcnow
from checkin.registration import places

from .axe import serious_violations
from .conftest import SCREENSHOTS, create_event, open_phone

OFFER_LINK = re.compile(r"https?://127\.0\.0\.1:\d+/e/\S+/offer/\S+")


def shot(page, name: str) -> None:
    """Save the whole page to look at, at its width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SCREENSHOTS / f"waitlist-{name}-{width}.png"), full_page=True)


def check(page, name: str) -> None:
    """No serious axe findings, and a screenshot."""
    assert serious_violations(page) == []
    shot(page, name)


def at_360(browser, page, url: str, name: str) -> None:
    """The same page, same session, 360 wide: no serious axe findings, nothing wider."""
    narrow = open_phone(browser, width=360)
    narrow.context.add_cookies(page.context.cookies())
    narrow.goto(url)
    check(narrow, name)
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 360
    narrow.context.close()


def signup(slug: str, name: str, seconds: int) -> int:
    """Someone registers and confirms (call in an app context); their registration id."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    registration = Registration(
        event_id=event.id,
        name=name,
        email=f"{name.split()[0].lower()}@example.org",
        token_hash=tickets.digest(secrets.token_urlsafe(20)),
    )
    db.session.add(registration)
    db.session.commit()
    with writing():
        places.place(registration, utcnow() + timedelta(seconds=seconds))
    return registration.id


def test_the_organizer_sets_up_registration_and_approves(live_app, phone, signed_in, browser):
    """Event page -> Registration settings; save capacity and a required question; open it;
    approve the one registration waiting. The page also reads well 360 wide."""
    base, slug = live_app.base_url, signed_in
    with live_app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        event.approval_required = True
        db.session.commit()
        signup(slug, "Maya Iyer", 1)
    phone.goto(f"{base}/events/{slug}")
    phone.get_by_role("link", name="Registration settings").tap()
    expect(phone.get_by_role("heading", name="Registration", exact=True)).to_be_visible()
    expect(phone.get_by_text("Registration is off")).to_be_visible()
    check(phone, "settings")

    phone.get_by_label("Places (capacity)").fill("0")
    phone.get_by_role("button", name="Save settings").tap()
    expect(phone.get_by_text("From 1 to 100,000, or blank for none.")).to_be_visible()
    check(phone, "settings-error")
    phone.get_by_label("Places (capacity)").fill("40")
    phone.get_by_label("Class year").select_option("required")
    phone.get_by_role("button", name="Save settings").tap()
    expect(phone.get_by_text("Registration settings saved.")).to_be_visible()
    phone.get_by_role("button", name="Open registration").tap()
    expect(phone.get_by_text("Registration is open: people can register now.")).to_be_visible()

    phone.get_by_role("button", name="Approve Maya Iyer").tap()
    expect(phone.get_by_text("Maya Iyer: approved. Their ticket is on its way.")).to_be_visible()
    expect(phone.get_by_text("No one is waiting.")).to_be_visible()
    check(phone, "settings-saved")
    with live_app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        assert (event.capacity, event.registration) == (40, "open")
        assert event.registration_questions == {"class_year": "required"}
        assert places.taken(event) == 1

    narrow = open_phone(browser, width=360)
    narrow.context.add_cookies(phone.context.cookies())
    narrow.goto(f"{base}/events/{slug}/registration")
    expect(narrow.get_by_role("button", name="Save settings")).to_be_visible()
    check(narrow, "settings")
    assert narrow.evaluate("document.documentElement.scrollWidth") <= 360
    narrow.context.close()


def test_a_guest_gives_their_place_back_and_the_next_accepts(live_app, browser, inbox):
    """One place: Ada has it, Bo waits. Ada taps "I can't come after all", confirms; Bo gets
    the offer email, opens the link on his phone and accepts: he is a guest."""
    live_app.config["SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}"
    with live_app.app_context():
        event = create_event()
        event.capacity, event.registration = 1, "open"
        db.session.commit()
        ada_id = signup(event.slug, "Ada Lovelace", 1)
        bo_id = signup(event.slug, "Bo Diddley", 2)
        ada = db.session.get(Registration, ada_id).guest
        link, ada_guest_id = personal_links.url_of(personal_links.ensure(ada)), ada.id
    assert inbox.messages == []  # confirming sends the ticket; that is the register flow's

    phone = open_phone(browser)
    phone.goto(link)
    phone.get_by_role("button", name=re.compile(r"^Continue as ")).tap()
    phone.wait_for_url(re.compile(r"/e/[^/]+/$"))
    phone.get_by_role("link", name="I can’t come after all").tap()
    expect(phone.get_by_role("heading", name="Can't come after all?")).to_be_visible()
    check(phone, "cant-come")
    at_360(browser, phone, phone.url, "cant-come")
    phone.get_by_role("button", name="Give my place back").tap()
    expect(phone.get_by_text("Tick the box to confirm.")).to_be_visible()
    phone.get_by_label("Yes, I can't come: give my place to someone else").check()
    phone.get_by_role("button", name="Give my place back").tap()
    expect(phone.get_by_role("heading", name="Your place is given back")).to_be_visible()
    check(phone, "cancelled")
    phone.get_by_role("link", name="Back to the event app").tap()
    expect(phone.get_by_text("You gave your place back")).to_be_visible()
    phone.context.close()

    (offer,) = [m for m in inbox.messages if m["To"].addresses[0].addr_spec == "bo@example.org"]
    assert offer["Subject"] == "A place at Fall Reunion 2026 is yours"
    url = OFFER_LINK.search(offer.get_body(("plain",)).get_content()).group(0)
    bo = open_phone(browser)
    bo.goto(url)
    expect(bo.get_by_role("heading", name="A place is yours")).to_be_visible()
    check(bo, "offer")
    at_360(browser, bo, url, "offer")
    bo.get_by_role("button", name="Accept my place").tap()
    expect(bo.get_by_role("heading", name="You're in")).to_be_visible()
    check(bo, "accepted")
    bo.context.close()
    with live_app.app_context():
        assert db.session.get(Registration, bo_id).status == "guest"
        assert db.session.get(Guest, ada_guest_id).cancelled_at is not None
    tickets_to = [
        m["To"].addresses[0].addr_spec for m in inbox.messages if "ticket" in m["Subject"]
    ]
    assert tickets_to == ["bo@example.org"]
