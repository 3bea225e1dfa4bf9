"""A busy database at the door: a 503, the phone queues the scan and sends it later."""

import fcntl
import threading
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from conftest import fresh_app
from playwright.sync_api import expect
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from .conftest import GUESTS
from .door_phone import new_phone
from .test_door_offline import admitted, open_door, scan

WAITS = {"DATABASE_WRITE_WAIT": 0.5, "DATABASE_LOCK_TIMEOUT": 0.5}  # under the phone's 2.5 s


@pytest.fixture
def live_app(database_url, tmp_path):
    """The live app giving up on a write lock after 0.5 s (overrides conftest's for live_door)."""
    server = make_server("127.0.0.1", 0, None, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    with fresh_app(database_url, tmp_path / "instance", BASE_URL=base_url, **WAITS) as app:
        server.app = app
        threading.Thread(target=server.serve_forever, daemon=True).start()
        app.base_url = base_url
        yield app
        server.shutdown()


@contextmanager
def write_lock_held(app):
    """Another writer holds the lock: SQLite's write-lock file, or every guest row on PostgreSQL."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        with open(Path(url.database).with_suffix(".writelock"), "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            yield
        return
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as other:
        other.execute("SELECT id FROM attendees FOR UPDATE")
        yield
        other.rollback()


def test_a_503_queues_the_scan_and_it_is_sent_once_the_lock_is_free(live_door, browser):
    """While the write lock is held the door answers 503: the phone shows the guest marked
    Offline and keeps the scan; once the lock is free, Sync now sends it and the guest is in."""
    page = new_phone(browser)
    open_door(page, live_door["url"])
    name, year = GUESTS[1]
    with write_lock_held(live_door["app"]):
        scan(page, live_door["people"][name][1])
        result = page.locator("#result .result")
        expect(result).to_contain_text(f"Welcome, {name} ’{year % 100:02d}")
        expect(result).to_contain_text("Offline")
        busy = [r for r in page.seen["responses"] if r.status == 503]
        assert busy and busy[0].headers["retry-after"] == "5"
        page.keyboard.press("Escape")
        expect(page.get_by_role("button", name="Sync now (1 waiting)")).to_be_visible()
        assert admitted(live_door["app"]) == 0
    page.get_by_role("button", name="Sync now (1 waiting)").click()
    expect(page.locator("#sync-status")).to_have_text("All synced.", timeout=20_000)
    assert admitted(live_door["app"]) == 1
    assert page.seen["csp"] == [] and page.seen["errors"] == []
