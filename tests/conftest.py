"""Shared fixtures: an app on a fresh database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

import os
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import psycopg
import pytest
from sqlalchemy.engine import make_url

from checkin import create_app
from checkin.accounts import users
from checkin.config import TestConfig
from checkin.door import passes
from checkin.events import events, tickets
from checkin.extensions import db
from checkin.models import Guest

# Fixtures that tests of several packages use: the SMTP inbox (inbox, smtp_url), the huey
# consumer (queue, worker), the live server (certificate, server). Fixtures that one package's
# tests share are in that folder's conftest.py.
pytest_plugins = ["support.mail_fixtures", "support.consumer", "support.live_server"]

PASSWORD = "correct horse battery staple"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def reunion_day(now: datetime | None = None) -> date:
    """26 November of the first year in which it is at least 30 days ahead of now: the fixtures'
    event is always to come, and late November is EST in New York and CET in Europe every
    year, so only the year and the weekday move with the clock."""
    now = now or datetime.now(UTC)
    year = now.year if date(now.year, 11, 26) - now.date() >= timedelta(days=30) else now.year + 1
    return date(year, 11, 26)


REUNION_DAY = reunion_day()  # expected dates and strings are computed from this one day
REUNION_START = datetime.combine(REUNION_DAY, time(18, 0))  # wall-clock time at the venue


@pytest.fixture(scope="session")
def playwright_instance():
    """One Playwright driver for the run, shared by the browser and the deployment tests (a
    second sync driver cannot start while one is running)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: sudo apt-get install chromium")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def server_database_url():
    """A PostgreSQL database made for this test run (dropped after), or None for SQLite."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    url = make_url(base.replace("postgresql+psycopg://", "postgresql://"))
    name = f"checkin_test_{uuid.uuid4().hex[:10]}"
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(server_database_url, tmp_path):
    """Where this test's data lives: a new SQLite file, or the run's PostgreSQL database."""
    return server_database_url or f"sqlite:///{tmp_path / 'checkin.sqlite'}"


@contextmanager
def fresh_app(database_url, instance, **settings):
    """An app on an empty schema, settings set over the test config; closed after use."""
    config = TestConfig(database_url, instance)
    for name, value in settings.items():
        setattr(config, name, value)
    app = create_app(config)
    with app.app_context():
        db.drop_all()
        db.create_all()
    with closing(app):
        yield app


@contextmanager
def closing(app):
    """Yield the app; then end its session and close its database connections."""
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    """The app on an empty schema."""
    with fresh_app(database_url, tmp_path / "instance") as app:
        yield app


@pytest.fixture
def limited(database_url, tmp_path):
    """The app with rate limits on (the test config turns them off)."""
    with fresh_app(database_url, tmp_path / "limited", RATELIMIT_ENABLED=True) as app:
        yield app


@pytest.fixture
def ctx(app):
    """An application context for calling domain functions directly."""
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def make_organizer(app):
    """Create organizers: make_organizer("a@example.org")."""

    def make(email="organizer@example.org"):
        with app.app_context():
            return users.create_organizer(email, PASSWORD).id

    return make


@pytest.fixture
def make_event(app, make_organizer):
    """Create an event owned by a (new or given) organizer, 18:00 to 23:00 on REUNION_DAY at
    the venue; returns its slug."""

    def make(name="Fall Reunion", email="organizer@example.org", timezone="America/New_York"):
        with app.app_context():
            organizer = users.find_by_email(email) or users.create_organizer(email, PASSWORD)
            start, end = REUNION_START, REUNION_START + timedelta(hours=5)
            event = events.create_event(organizer, name, "Alumni Hall", start, end, timezone)
            return event.slug

    return make


@pytest.fixture
def make_guest(app):
    """Add a guest with a ticket; returns (guest id, the text in their QR)."""

    def make(slug, name="Ada Lovelace", class_year=2009, email=None):
        with app.app_context():
            event = _event(slug)
            person = Guest(
                event_id=event.id,
                name=name,
                class_year=class_year,
                email=email or f"{uuid.uuid4().hex[:8]}@example.org",
            )
            db.session.add(person)
            db.session.flush()
            code = tickets.code_of(tickets.issue(person))
            db.session.commit()
            return person.id, tickets.ticket_url(code)

    return make


@pytest.fixture
def make_pass(app):
    """Create a door pass for an event; returns its token."""

    def make(slug, name="Door 1", hours=24):
        with app.app_context():
            return passes.token_of(passes.create(_event(slug), name, hours))

    return make


@pytest.fixture
def sign_in(client):
    """Sign a test client in as an organizer."""

    def do(email="organizer@example.org", password=PASSWORD, test_client=None):
        c = test_client or client
        c.get("/sign-in")
        token = _csrf(c)
        return c.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})

    return do


def csrf_token(test_client, path="/sign-in") -> str:
    """A CSRF token for the test client's session, read from a page's meta tag."""
    html = test_client.get(path).get_data(as_text=True)
    marker = '<meta name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def _csrf(test_client):
    return csrf_token(test_client)


def _event(slug):
    from sqlalchemy import select

    from checkin.models import Event

    return db.session.scalar(select(Event).where(Event.slug == slug))


@pytest.fixture
def sign_in_guest(app):
    """Sign a test client in as a guest, as their personal link's POST would; returns a
    CSRF token for that session (for the X-CSRFToken header)."""
    from checkin.accounts import personal_links

    def do(test_client, attendee_id):
        with app.app_context():
            link = personal_links.ensure(db.session.get(Guest, attendee_id))
            user_id = f"guest:{attendee_id}:{link.id}"
        with test_client.session_transaction() as sess:
            sess["_user_id"] = user_id
            sess["_fresh"] = True
        return csrf_token(test_client)

    return do


@pytest.fixture
def set_guest(app):
    """Change a guest's fields: set_guest(id, consent_findable=True, checked_in=True)."""
    from checkin.models import utcnow

    def do(attendee_id, checked_in=None, **fields):
        with app.app_context():
            person = db.session.get(Guest, attendee_id)
            for name, value in fields.items():
                setattr(person, name, value)
            if checked_in is not None:
                person.checked_in_at = utcnow() if checked_in else None
            db.session.commit()

    return do
