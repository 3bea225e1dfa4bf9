"""The installable shell in Chromium: installability, offline page, cached shell, updates."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .axe import serious_violations
from .conftest import CHROMIUM, PHONE, create_event, screenshot, sign_in_organizer
from .door_phone import wait_for_async

WASM = "/static/vendor/barcode-detector/zxing_reader.wasm"
CACHED_URLS = """async () => {
  const found = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    found[name] = [];
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      found[name].push([new URL(request.url).pathname, response.headers.get("Content-Type")]);
    }
  }
  return found;
}"""


@pytest.fixture
def installed(playwright_instance, live_app, tmp_path, chromium_args):
    """A phone-sized page in a persistent Chromium profile, controlled by the service worker."""
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=chromium_args,
        viewport=PHONE,
        ignore_https_errors=True,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.pages[0] if context.pages else context.new_page()
    page.goto(f"{live_app.base_url}/sign-in")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    yield page
    context.close()


def shell_cache(page) -> str:
    """The name of the one shell cache the page can see."""
    names = page.evaluate("caches.keys()")
    assert len(names) == 1, names
    return names[0]


def test_chromium_finds_the_app_installable(installed):
    """Chromium reports no installability errors and no manifest errors."""
    cdp = installed.context.new_cdp_session(installed)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert manifest["errors"] == []
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []


def test_worker_controls_the_site_under_the_shell_version(installed, live_app):
    """The worker's scope is the root and its cache is named after the app's static version."""
    scope = installed.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{live_app.base_url}/"
    assert shell_cache(installed) == f"checkin-shell-{live_app.config['STATIC_VERSION']}"
    expect(installed.get_by_text("New version ready")).to_have_count(
        0
    )  # a first install offers none


def test_only_the_shell_is_cached_never_signed_in_pages(installed, live_app):
    """After signing in and opening pages, the cache holds the shell and /offline, nothing else."""
    with live_app.app_context():
        slug = create_event().slug
    sign_in_organizer(installed, live_app.base_url)
    installed.goto(f"{live_app.base_url}/events/{slug}")
    expect(installed.get_by_role("heading", name="Fall Reunion 2026")).to_be_visible()
    cached = installed.evaluate(CACHED_URLS)[shell_cache(installed)]
    paths = {path for path, _ in cached}
    expected = {f"/static/{name}" for name in live_app.config["SHELL_FILES"]} | {"/offline"}
    assert paths == expected
    html = [path for path, kind in cached if kind.startswith("text/html")]
    assert html == ["/offline"]


def test_offline_a_page_shows_the_offline_page_and_the_shell_comes_from_cache(installed, live_app):
    """Offline, an uncached page shows the offline page; its CSS and the decoder come from cache."""
    page = installed
    page.context.set_offline(True)
    page.goto(f"{live_app.base_url}/events")
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    assert urlsplit(page.url).path == "/events"  # the address stays, so "Try again" retries it
    served = []
    page.on("response", lambda r: served.append((urlsplit(r.url).path, r.from_service_worker)))
    page.reload()
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    assert ("/static/css/app.css", True) in served
    assert ("/static/css/pwa.css", True) in served
    size = page.evaluate(f"fetch('{WASM}').then(r => r.arrayBuffer()).then(b => b.byteLength)")
    assert size == 1_093_289
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
    screenshot(page, "pwa-offline")
    assert serious_violations(page) == []


def test_offline_an_api_call_fails_instead_of_coming_from_a_cache(installed, live_app):
    """The worker leaves API requests alone: offline they fail, no stale answer is served."""
    installed.context.set_offline(True)
    outcome = installed.evaluate(
        "fetch('/api/v1/events/x/roster').then(r => 'answered ' + r.status, () => 'failed')"
    )
    assert outcome == "failed"


def test_new_version_offers_a_reload_that_switches_worker(installed, live_app):
    """A new static version offers "New version ready: reload"; the click reloads under it."""
    page = installed
    old = shell_cache(page)
    live_app.config["STATIC_VERSION"] = "0123456789abcdef"
    page.reload()
    button = page.get_by_role("button", name="New version ready: reload")
    expect(button).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("New version ready")
    screenshot(page, "pwa-update-banner")
    assert serious_violations(page) == []
    with page.expect_navigation():
        button.click()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    expect(page.get_by_role("button", name="New version ready: reload")).to_have_count(0)
    wait_for_async(page, "async () => (await caches.keys()).length === 1")
    assert shell_cache(page) == "checkin-shell-0123456789abcdef" != old
