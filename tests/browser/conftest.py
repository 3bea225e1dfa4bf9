"""Browser fixtures: the app served on loopback, and Debian's Chromium driven by Playwright.

The browser tests stay together rather than in their packages' folders: their journeys cross
packages (a guest imported, admitted at the door, met in the room, emailed a digest), and they
share this live server, the Playwright machinery and the axe checks (axe.py)."""

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import CHROMIUM, REUNION_START, fresh_app
from playwright.sync_api import expect
from support.live_server import SCHEME, serve

from checkin.accounts import personal_links, users
from checkin.door import passes
from checkin.events import events, tickets
from checkin.extensions import db
from checkin.models import Guest, utcnow

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
PHONE = {"width": 390, "height": 844}
ORGANIZER, PASSWORD = "organizer@example.org", "correct horse battery"
GUESTS = [  # live_door's guests
    ("Ada Lovelace", 2009),
    ("Grace Hopper", 1934),
    ("Chloé Dubois", 2015),
    ("Oisín O'Brien", 1998),
    ("Nikos Papadopoulos", 1987),
    ("Maya Iyer", 2021),
]

# A loaded two-core CI machine can take more than Playwright's default 5 s to render a step.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items):
    """Everything under tests/browser is a browser test."""
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_app(database_url, tmp_path, certificate):
    """The app on a fresh database, served by a real HTTP server on 127.0.0.1: over TLS, with
    an https BASE_URL (Secure __Host- cookies, HSTS), when TEST_SCHEME=https."""
    server = serve(None, certificate if SCHEME == "https" else None)
    base_url = f"{SCHEME}://127.0.0.1:{server.server_port}"
    with fresh_app(database_url, tmp_path / "instance", BASE_URL=base_url) as app:
        server.app = app
        app.base_url = base_url
        yield app
        server.shutdown()


@pytest.fixture
def chromium_args(certificate) -> list[str]:
    """Chromium's flags, trusting the session's throwaway certificate by its public key.

    ignore_https_errors alone lets pages load, but Chromium still refuses to register a
    service worker from an origin whose certificate failed ("An unknown error occurred when
    fetching the script"). The SPKI list makes this one key trusted, nothing else.
    """
    return [*FLAGS, f"--ignore-certificate-errors-spki-list={certificate.spki}"]


@pytest.fixture
def launch(playwright_instance, chromium_args):
    """Launch Chromium with extra flags (a fake camera, say); closed after the test."""
    browsers = []

    def start(*extra_flags):
        browser = playwright_instance.chromium.launch(
            executable_path=CHROMIUM, args=chromium_args + list(extra_flags)
        )
        browsers.append(browser)
        return browser

    yield start
    for browser in browsers:
        browser.close()


@pytest.fixture
def browser(launch):
    """A plain Chromium."""
    return launch()


def open_phone(browser, width=PHONE["width"], height=PHONE["height"], service_workers="allow"):
    """A page in a new phone-sized context (touch, 2x pixels); page.context.close() ends it."""
    context = browser.new_context(
        service_workers=service_workers,
        viewport={"width": width, "height": height},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        ignore_https_errors=True,
    )
    return context.new_page()


@pytest.fixture
def phone(browser):
    """A page in a phone-sized context (390x844, touch)."""
    page = open_phone(browser)
    yield page
    page.context.close()


def create_event(
    start=REUNION_START,
    name="Fall Reunion 2026",
    venue="Alumni Hall",
    timezone="America/New_York",
):
    """A five-hour event owned by a new organizer (ORGANIZER, PASSWORD); call in an app context."""
    organizer = users.create_organizer(ORGANIZER, PASSWORD)
    return events.create_event(organizer, name, venue, start, start + timedelta(hours=5), timezone)


def guests_in_the_room(event, guests) -> dict:
    """Checked-in guests (name, year, extra columns), each with their ticket URL and personal
    link, keyed by first name; call in an app context."""
    people = {}
    for name, year, extra in guests:
        person = Guest(
            event_id=event.id,
            name=name,
            class_year=year,
            email=f"{name.split()[0].lower()}@example.org",
            checked_in_at=utcnow(),
            **extra,
        )
        db.session.add(person)
        db.session.flush()
        ticket = tickets.ticket_url(tickets.code_of(tickets.issue(person)))
        people[name.split()[0]] = {"id": person.id, "ticket": ticket}
    db.session.commit()
    for who in people.values():
        who["link"] = personal_links.url_of(personal_links.ensure(db.session.get(Guest, who["id"])))
    return people


def sign_in_organizer(page, base_url: str, next_path: str = "/events") -> None:
    """Sign the page in as the organizer through the sign-in form; it lands on next_path."""
    page.goto(f"{base_url}/sign-in?next={next_path}")
    page.get_by_label("Email").fill(ORGANIZER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()
    page.wait_for_url(f"{base_url}{next_path}")


@pytest.fixture
def signed_in(live_app, phone):
    """The phone signed in as the organizer of an event; returns the event's slug."""
    with live_app.app_context():
        slug = create_event().slug
    sign_in_organizer(phone, live_app.base_url)
    return slug


@pytest.fixture
def live_door(live_app):
    """An event happening now with six guests and a door pass, made in the live app."""
    with live_app.app_context():
        now = utcnow().astimezone(ZoneInfo("America/New_York"))
        event = create_event(start=now - timedelta(hours=1))
        people = {}
        for name, year in GUESTS:
            person = Guest(
                event_id=event.id,
                name=name,
                class_year=year,
                email=f"{name.split()[0].lower()}@example.org",
            )
            db.session.add(person)
            db.session.flush()
            people[name] = (person.id, tickets.ticket_url(tickets.code_of(tickets.issue(person))))
        db.session.commit()
        token = passes.token_of(passes.create(event, "Door 1"))
    return {"url": f"{live_app.base_url}/door/{token}/", "people": people, "app": live_app}


def screenshot(page, name: str) -> Path:
    """Save a screenshot under test-results/screenshots/ to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
