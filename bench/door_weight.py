"""What a door phone downloads the first time it opens its link: each file, raw and gzipped.

    .venv/bin/python bench/door_weight.py            # a table
    .venv/bin/python bench/door_weight.py --json     # the same figures as JSON

It builds the app on a throwaway SQLite database with one event and door pass, renders the door
page through the test client and follows what the page itself loads: its stylesheets and scripts,
the QR decoder and its wasm (fetched by qr-camera.js from the scanner's data-decoder/data-wasm),
the manifest and the icon the page links. "gzip" is gzip -6 of each file, what a compressing proxy
sends. Then, apart, what the service worker precaches in the background on that first visit (the
whole app shell; the files the page already loaded are revalidated with a 304, not sent again),
and what a repeat visit downloads: the HTML page alone, the shell coming from the worker.
"""

import argparse
import gzip
import json
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checkin import create_app  # noqa: E402
from checkin.accounts import users  # noqa: E402
from checkin.config import TestConfig  # noqa: E402
from checkin.door import passes  # noqa: E402
from checkin.events import events  # noqa: E402
from checkin.extensions import db  # noqa: E402

ASSET = re.compile(
    r'<(?:link[^>]*rel="(?:stylesheet|manifest|icon)"[^>]*href|script[^>]*src)="([^"]+)"'
)
DECODER = re.compile(r'data-(?:decoder|wasm)="([^"]+)"')


def door_page(client) -> tuple[str, bytes]:
    """A door page's URL and HTML, on a fresh event with one pass."""
    organizer = users.create_organizer("bench@example.org", "bench password 123")
    start = datetime.now(UTC) - timedelta(hours=1)
    event = events.create_event(
        organizer, "Bench", "Hall", start, start + timedelta(hours=5), "UTC"
    )
    url = f"/door/{passes.token_of(passes.create(event, 'Door 1'))}/"
    return url, client.get(url).data


def sizes(body: bytes) -> dict:
    """Raw and gzip -6 byte counts."""
    return {"bytes": len(body), "gzip": len(gzip.compress(body, compresslevel=6))}


def measure() -> dict:
    """The door page's first load, the worker's precache, and a repeat visit, in bytes."""
    with tempfile.TemporaryDirectory(prefix="checkin-bench-weight-") as tmp:
        app = create_app(TestConfig(f"sqlite:///{tmp}/bench.sqlite", Path(tmp) / "instance"))
        with app.app_context():
            db.create_all()
            client = app.test_client()
            url, html = door_page(client)
            text = html.decode()
            urls = list(dict.fromkeys(ASSET.findall(text) + DECODER.findall(text)))
            first = [{"file": "door page (HTML)", **sizes(html)}]
            for asset in urls:
                first.append({"file": asset, **sizes(client.get(asset).data)})
            loaded = set(urls)
            precache = [
                {"file": f"/static/{name}", **sizes(client.get(f"/static/{name}").data)}
                for name in app.config["SHELL_FILES"]
                if f"/static/{name}" not in loaded
            ]
            precache.append({"file": "/offline", **sizes(client.get("/offline").data)})
            precache.append({"file": "/sw.js", **sizes(client.get("/sw.js").data)})
            db.session.remove()
            db.engine.dispose()
    return {
        "first_load": first,
        "first_load_total": total(first),
        "precache_extra": precache,
        "precache_extra_total": total(precache),
        "repeat_visit_total": sizes(html),
    }


def total(rows: list[dict]) -> dict:
    """The sum of a list of rows."""
    return {"bytes": sum(r["bytes"] for r in rows), "gzip": sum(r["gzip"] for r in rows)}


def table(title: str, rows: list[dict], summed: dict) -> str:
    """Rows as an aligned text table with a total line."""
    lines = [title, f"{'file':<58} {'bytes':>10} {'gzip':>10}"]
    lines += [f"{r['file'][:58]:<58} {r['bytes']:>10,} {r['gzip']:>10,}" for r in rows]
    lines.append(f"{'total':<58} {summed['bytes']:>10,} {summed['gzip']:>10,}")
    return "\n".join(lines)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    figures = measure()
    if parser.parse_args().json:
        print(json.dumps(figures, indent=2))
        return
    print(table("Door page, first load", figures["first_load"], figures["first_load_total"]))
    print()
    print(
        table(
            "Precached by the service worker in the background on that visit (not yet loaded)",
            figures["precache_extra"],
            figures["precache_extra_total"],
        )
    )
    repeat = figures["repeat_visit_total"]
    print(
        f"\nRepeat visit: the HTML page only, {repeat['bytes']:,} bytes ({repeat['gzip']:,} gzip)"
    )


if __name__ == "__main__":
    main()
