"""The installable shell: manifest, service worker and offline page, and the shell's version."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from support.pages import HTMX

from checkin.door import passes
from checkin.extensions import db
from checkin.models import DoorPass
from checkin.pwa import views

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_service_worker_is_javascript_for_the_whole_site(client):
    """/sw.js is JavaScript, may control "/", and is revalidated on every update check."""
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"


def test_service_worker_names_its_cache_after_the_shell_version(app, client):
    """The worker's cache name carries the version the app computed at start."""
    body = client.get("/sw.js").text
    assert f'const VERSION = "{app.config["STATIC_VERSION"]}";' in body
    assert len(app.config["STATIC_VERSION"]) == 16


@pytest.mark.parametrize(
    "url",
    [
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/barcode-detector/ponyfill.js",
        "/static/vendor/barcode-detector/zxing_reader.wasm",
        "/static/css/app.css",
        "/static/js/door.js",
        "/static/js/pwa.js",
        "/static/icons/maskable-512.png",
        "/offline",
    ],
)
def test_service_worker_precaches_the_shell(client, url):
    """The precache list holds the app's CSS and JS, htmx, the decoder and wasm, icons, /offline."""
    assert f'"{url}"' in client.get("/sw.js").text


def test_every_precached_url_is_served(client):
    """Each URL the worker will precache answers 200 (one 404 would make the install fail)."""
    for name in client.application.config["SHELL_FILES"]:
        assert client.get(f"/static/{name}").status_code == 200, name
    assert client.get("/offline").status_code == 200


def test_changed_static_file_changes_the_version(tmp_path):
    """Editing one shell file gives a new version; the same files give the same one."""
    static = tmp_path / "static"
    shutil.copytree(STATIC, static)
    before = views.shell_version(static)
    assert views.shell_version(static) == before
    (static / "css" / "app.css").write_text("body { color: red; }\n")
    assert views.shell_version(static) != before


def test_added_static_file_changes_the_version(tmp_path):
    """A new file in the shell (a new script, say) gives a new version too."""
    static = tmp_path / "static"
    shutil.copytree(STATIC, static)
    before = views.shell_version(static)
    (static / "js" / "extra.js").write_text("console.log(1);\n")
    assert "js/extra.js" in views.shell_files(static)
    assert views.shell_version(static) != before


def test_manifest_makes_the_app_installable(client):
    """The manifest has names, colors, start_url, scope "/", standalone, 192/512/maskable icons."""
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    data = response.get_json(force=True)
    assert data["name"] and data["short_name"]
    assert (data["start_url"], data["scope"], data["display"]) == ("/", "/", "standalone")
    assert data["theme_color"] == "#0f172a" and data["background_color"]
    icons = {(i["sizes"], i["purpose"]) for i in data["icons"]}
    assert icons == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in data["icons"]:
        assert client.get(icon["src"]).mimetype == "image/png"


@pytest.mark.parametrize("size", [192, 512])
def test_icons_have_their_stated_size(size):
    """The icon files are the size the manifest says."""
    from PIL import Image

    assert Image.open(STATIC / "icons" / f"icon-{size}.png").size == (size, size)
    assert Image.open(STATIC / "icons" / "maskable-512.png").size == (512, 512)


@pytest.mark.parametrize("path", ["/sign-in", "/offline"])
def test_pages_link_the_manifest_and_the_worker_script(client, path):
    """Pages link the manifest, theme color, touch icon and pwa.js (as an external script)."""
    html = client.get(path).text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#0f172a">' in html
    assert 'rel="apple-touch-icon"' in html
    assert '<script src="/static/js/pwa.js" data-worker="/sw.js" defer></script>' in html


def test_offline_page_carries_nothing_from_a_session(client):
    """The offline page (precached for everyone) has no CSRF token and sets no cookie."""
    response = client.get("/offline")
    assert "You are offline" in response.text
    assert "csrf" not in response.text.lower()
    assert "Set-Cookie" not in response.headers


def test_door_page_asks_to_be_kept_for_offline(client, make_event, make_guest, make_pass):
    """The door page carries X-Offline-Page (the worker keeps it); its fragments and API do not."""
    slug = make_event()
    make_guest(slug)
    token = make_pass(slug)
    page = client.get(f"/door/{token}/")
    assert page.status_code == 200 and page.headers["X-Offline-Page"] == "1"
    headers = HTMX
    for path in ("counter", "search?q=ada"):
        assert "X-Offline-Page" not in client.get(f"/door/{token}/{path}", headers=headers).headers
    roster = client.get(
        f"/api/v1/events/{slug}/roster", headers={"Authorization": f"Bearer {token}"}
    )
    assert roster.status_code == 200 and "X-Offline-Page" not in roster.headers


def test_ended_door_pass_page_is_not_kept(app, client, make_event, make_pass):
    """A revoked pass's 401 page has no X-Offline-Page: the worker forgets the door it kept."""
    slug = make_event()
    token = make_pass(slug)
    with app.app_context():
        passes.revoke(db.session.scalar(select(DoorPass)))
    reply = client.get(f"/door/{token}/")
    assert reply.status_code == 401 and "X-Offline-Page" not in reply.headers


@pytest.mark.parametrize("path", ["/sign-in", "/offline", "/events"])
def test_other_pages_are_not_kept_for_offline(client, path):
    """Only pages that ask for it are kept: never the sign-in page or an organizer's pages."""
    assert "X-Offline-Page" not in client.get(path).headers


@pytest.mark.parametrize(
    "needle",
    [
        'const PAGES = "checkin-pages";',
        'response.headers.get("X-Offline-Page") === "1"',
        'type === "FORGET_PAGES"',
        'type === "KEEP_PAGE"',
        'event.tag === "checkin-outbox"',
        '{ type: "OUTBOX_FLUSH" }',
    ],
)
def test_service_worker_keeps_marked_pages_and_relays_background_sync(client, needle):
    """The worker keeps X-Offline-Page pages apart, forgets them on request, relays syncs."""
    assert needle in client.get("/sw.js").text


def test_service_worker_never_deletes_kept_pages_on_update(client):
    """A new version deletes old shell caches only: a door kept for offline survives updates."""
    body = client.get("/sw.js").text
    assert 'name.startsWith("checkin-shell-") && name !== CACHE' in body
    assert "caches.delete(PAGES)" in body.split('type === "FORGET_PAGES"')[1].split("\n")[0]


@pytest.mark.parametrize("name", ["js/outbox.js", "js/door-offline.js"])
def test_offline_scripts_are_part_of_the_shell(app, name):
    """The outbox and the door's offline half are precached with the rest of the shell."""
    assert name in app.config["SHELL_FILES"]
