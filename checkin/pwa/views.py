"""The installable app shell: web app manifest, service worker and offline page."""

import hashlib
from pathlib import Path

from flask import Blueprint, current_app, render_template, url_for

bp = Blueprint("pwa", __name__)

THEME_COLOR, BACKGROUND_COLOR = "#0f172a", "#f8fafc"
# The app shell, as globs under static/: precached by the service worker, cache-first.
SHELL = (
    "css/*.css",
    "js/*.js",
    "vendor/htmx/htmx.min.js",
    "vendor/barcode-detector/ponyfill.js",
    "vendor/barcode-detector/zxing_reader.wasm",
    "icons/*.png",
)
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/maskable-512.png", "512x512", "maskable"),
)


def shell_files(static_folder: str | Path) -> list[str]:
    """The shell's files, as paths relative to static/, sorted."""
    root = Path(static_folder)
    return sorted({p.relative_to(root).as_posix() for g in SHELL for p in root.glob(g)})


def shell_version(static_folder: str | Path) -> str:
    """A short hash of the shell files' names and contents: it changes when any of them does."""
    digest = hashlib.sha256()
    for name in shell_files(static_folder):
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256((Path(static_folder) / name).read_bytes()).digest())
    return digest.hexdigest()[:16]


@bp.record_once
def _remember_shell(state) -> None:
    # Hashed once at start; a deploy restarts the app, which gives the worker its new version.
    app = state.app
    app.config.setdefault("SHELL_FILES", shell_files(app.static_folder))
    app.config.setdefault("STATIC_VERSION", shell_version(app.static_folder))


@bp.get("/sw.js")
def service_worker():
    """The service worker, its cache named after the shell's version; root scope, never stale."""
    config = current_app.config
    urls = [url_for("static", filename=name) for name in config["SHELL_FILES"]]
    body = render_template(
        "pwa/sw.js",
        version=config["STATIC_VERSION"],
        shell=[*urls, url_for("pwa.offline")],
        offline=url_for("pwa.offline"),
    )
    headers = {
        "Content-Type": "text/javascript; charset=utf-8",
        "Service-Worker-Allowed": "/",
        "Cache-Control": "no-cache",
    }
    return body, headers


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest that makes the app installable."""
    icons = [
        {"src": url_for("static", filename=src), "sizes": sizes, "type": "image/png", "purpose": p}
        for src, sizes, p in ICONS
    ]
    data = {
        "id": "/",
        "name": "checkin",
        "short_name": "checkin",
        "description": "Door check-in and “who you met” cards for alumni events.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": icons,
    }
    return current_app.json.response(data), {"Content-Type": "application/manifest+json"}


@bp.get("/offline")
def offline():
    """The page the service worker shows when a page cannot be fetched (the same for everyone)."""
    return render_template("pwa/offline.html")
