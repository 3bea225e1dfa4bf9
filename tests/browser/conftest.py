"""Browser fixtures: the app served on loopback, and Debian's Chromium driven by Playwright."""

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from checkin import create_app
from checkin.config import TestConfig
from checkin.extensions import db

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
PHONE = {"width": 390, "height": 844}

# A loaded two-core CI machine can take more than Playwright's default 5 s to render a step.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items):
    """Everything under tests/browser is a browser test."""
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_app(database_url, tmp_path):
    """The app on a fresh database, served by a real HTTP server on 127.0.0.1."""
    config = TestConfig(database_url, tmp_path / "instance")
    server = make_server("127.0.0.1", 0, None, threaded=True)
    config.BASE_URL = f"http://127.0.0.1:{server.server_port}"
    app = create_app(config)
    server.app = app
    with app.app_context():
        db.drop_all()
        db.create_all()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.base_url = config.BASE_URL
    yield app
    server.shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def playwright_instance():
    """One Playwright driver for the run."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: sudo apt-get install chromium")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def launch(playwright_instance):
    """Launch Chromium with extra flags (a fake camera, say); closed after the test."""
    browsers = []

    def start(*extra_flags):
        browser = playwright_instance.chromium.launch(
            executable_path=CHROMIUM, args=FLAGS + list(extra_flags)
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


@pytest.fixture
def phone(browser):
    """A page in a phone-sized context (390x844, touch)."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a screenshot under test-results/screenshots/ to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
