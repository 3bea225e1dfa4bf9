"""The door page on a phone, for the browser tests: a watched phone, a scanner, the attempts."""

import uuid
from urllib.parse import urlsplit

from sqlalchemy import func, select

from checkin.extensions import db
from checkin.models import CheckInAttempt, Guest

from .conftest import PHONE, SCREENSHOTS, open_phone

WELCOME_ADA = "Welcome, Ada Lovelace ’09"


def camera_flags(video) -> list[str]:
    """Chromium flags for a fake rear camera playing a video file, no permission prompt."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video.resolve()}",
    ]


def new_phone(browser, width=PHONE["width"], height=PHONE["height"], service_workers="allow"):
    """A phone-sized page (touch, 2x pixels) whose traffic and console are watched."""
    page = open_phone(browser, width, height, service_workers)
    page.seen = {"requests": [], "responses": [], "csp": [], "errors": []}
    page.on("request", lambda r: page.seen["requests"].append(r.url))
    page.on("response", lambda r: page.seen["responses"].append(r))
    page.on("pageerror", lambda e: page.seen["errors"].append(str(e)))
    page.on("console", lambda m: _console(page, m))
    return page


def _console(page, message) -> None:
    if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
        page.seen["csp"].append(f"{message.text} @ {message.location}")
    elif message.type == "error" and not message.text.startswith("Failed to load resource"):
        page.seen["errors"].append(message.text)  # HTTP statuses are checked in assert_clean


def assert_clean(page) -> None:
    """Nothing left 127.0.0.1, nothing was missing or crashed, no CSP violation, no script error."""
    hosts = {urlsplit(u).hostname for u in page.seen["requests"] if u.startswith("http")}
    assert hosts == {"127.0.0.1"}, page.seen["requests"]
    failed = [
        (r.status, r.url)
        for r in page.seen["responses"]
        if r.status >= 500 or (r.status == 404 and not r.url.endswith("/favicon.ico"))
    ]
    assert failed == []
    assert page.seen["csp"] == []
    assert page.seen["errors"] == []


def shot(page, name: str, full_page: bool = False) -> None:
    """Save what the phone shows (the viewport, as the volunteer sees it)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret makes Playwright add a style that the CSP then reports.
    path = SCREENSHOTS / f"door-{name}.png"
    page.screenshot(path=str(path), caret="initial", full_page=full_page)


def count(app, **where) -> int:
    """Check-in attempts recorded, filtered by column values."""
    with app.app_context():
        query = select(func.count()).select_from(CheckInAttempt).filter_by(**where)
        return db.session.scalar(query)


def is_in(app, attendee_id) -> bool:
    """Whether the server has the guest checked in."""
    with app.app_context():
        return db.session.get(Guest, attendee_id).checked_in_at is not None


def wedge_scan(page, text: str) -> None:
    """What a USB or Bluetooth scanner does: type the code into the focused field, then Enter."""
    page.locator("#code").focus()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def hold(page) -> None:
    """Touch the full-screen result, as a volunteer reading it does: it stays up."""
    page.locator(".result.is-full").dispatch_event("pointerdown")


def wait_for_async(page, function: str, arg=None, timeout: float | None = None) -> None:
    """page.wait_for_function for an async predicate (IndexedDB, caches).

    Playwright takes the Promise an async function returns for a truthy answer and returns at
    once; this runs the predicate over and over in the page and waits on its latest settled result.
    """
    key = "__probe_" + uuid.uuid4().hex
    probe = f"""(arg) => {{
      const p = window.{key} || (window.{key} = {{ busy: false, value: false }});
      if (!p.busy) {{
        p.busy = true;
        Promise.resolve().then(() => ({function})(arg))
          .then((value) => {{ p.value = value; }}, () => {{ p.value = false; }})
          .finally(() => {{ p.busy = false; }});
      }}
      return p.value;
    }}"""
    page.wait_for_function(probe, arg=arg, timeout=timeout)
