"""The deployment end to end: Caddy's HTTPS in front of two gunicorn nodes (each with its own
instance folder, and a door lane beside it), a huey worker, one PostgreSQL and one Redis, a real
SMTP server on loopback, and Chromium at phone size. What one node starts, the other finishes;
limits are shared; the door's requests go to the door lane, and to the nodes when it is down."""

import json
import os
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from browser.conftest import CHROMIUM, FLAGS, PHONE
from cluster import CADDY, Cluster
from limits import parse
from playwright.sync_api import expect
from sqlalchemy.engine import make_url
from support.mailserver import Inbox, start

from checkin.accounts.views import PER_ACCOUNT_HERE, PER_ADDRESS

ORGANIZER, PASSWORD = "organizer@example.org", "correct horse battery"
ZONE = "America/New_York"
GUESTS = [
    ("Ada Lovelace", "ada@example.org", 2009),
    ("Grace Hopper", "grace@example.org", 1934),
    ("Katherine Johnson", "katherine@example.org", 1937),
    ("Alan Turing", "alan@example.org", 1934),
    ("Hedy Lamarr", "hedy@example.org", 1940),
]
MAIL_SECONDS = 90  # the worker polls its queue each second; a loaded machine is slow

expect.set_options(timeout=20_000)


def _settings() -> tuple[str, str]:
    """TEST_DATABASE_URL and TEST_REDIS_URL, or skip: this test runs in the PostgreSQL pass."""
    database, redis_url = os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_REDIS_URL")
    if not database or not redis_url:
        pytest.skip(
            "runs in the PostgreSQL pass of make test (needs TEST_DATABASE_URL and "
            "TEST_REDIS_URL; .ci/run sets both)"
        )
    if not os.access(CADDY, os.X_OK):
        pytest.fail(f"Caddy is missing at {CADDY}: sudo apt-get install caddy")
    # Redis database 13: bench/rush.py runs its cluster on 14 and the other tests on 15.
    return database, make_url(redis_url).set(database="13").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def cluster_inbox():
    """A real SMTP server on loopback; the worker sends the digests to it."""
    box = Inbox()
    controller = start(box)
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def cluster(cluster_inbox):
    """Caddy, two nodes of two workers and a door lane of one, the worker; an organizer account
    made by the CLI. gunicorn logs each request, to see which lane served it."""
    database, redis_url = _settings()
    smtp = f"smtp://127.0.0.1:{cluster_inbox.port}"
    with Cluster(
        nodes=2, workers=2, door_workers=1, smtp_url=smtp, admin_database_url=database,
        redis_url=redis_url, extra_env={"GUNICORN_CMD_ARGS": "--access-logfile -"},
    ) as running:  # fmt: skip
        running.flask("create-organizer", ORGANIZER, "--password", PASSWORD)
        yield running


@pytest.fixture(scope="module")
def cluster_browser(playwright_instance):
    """Debian's Chromium, closed after the module."""
    chromium = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    yield chromium
    chromium.close()


def phone(browser):
    """A phone-sized page that accepts Caddy's own certificate."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
        ignore_https_errors=True,
    )  # fmt: skip
    return context.new_page()


def query(cluster, sql: str, *args):
    """One value from the cluster's database."""
    with psycopg.connect(cluster.database_url) as conn:
        return conn.execute(sql, args).fetchone()[0]


def guest_csv(path):
    """A small guest list as a file to upload."""
    lines = ["Name,Email,Class year"] + [f"{n},{e},{y}" for n, e, y in GUESTS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sign_in(page, base: str):
    """The organizer signs in through the form; returns the response of the events page."""
    page.goto(f"{base}/sign-in?next=/events")
    page.get_by_label("Email").fill(ORGANIZER)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(f"{base}/events") as landed:
        page.get_by_role("button", name="Sign in").tap()
    expect(page.get_by_role("heading", name="Your events")).to_be_visible()
    return landed.value


def create_event(page, base: str) -> str:
    """An event happening now, made through the form; returns its slug."""
    now = datetime.now(ZoneInfo(ZONE)).replace(second=0, microsecond=0)
    page.goto(f"{base}/events/new")
    page.get_by_label("Event name").fill("Homecoming")
    page.get_by_label("Venue").fill("Alumni Hall")
    page.get_by_label("Starts").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends").fill((now + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Time zone").fill(ZONE)
    page.get_by_role("button", name="Create event").click()
    expect(page.get_by_role("heading", name="Homecoming")).to_be_visible()
    return re.search(r"/events/([^/?#]+)$", page.url).group(1)


def test_two_nodes_behind_caddy_act_as_one(cluster, cluster_browser, cluster_inbox, tmp_path):
    """Sign in, import across nodes, the door, a card, digests by the worker, Secure cookies."""
    a, b = cluster.node_urls
    organizer = phone(cluster_browser)
    events = sign_in(organizer, cluster.base_url)
    assert events.headers.get("strict-transport-security", "").startswith("max-age=")
    cookies = organizer.context.cookies()
    assert cookies and all(c["secure"] for c in cookies), cookies
    assert any(c["name"].startswith("__Host-") for c in cookies), cookies
    slug = create_event(organizer, cluster.base_url)

    # The preview is made on node A and confirmed on node B: it lives in the database.
    organizer.goto(f"{a}/events/{slug}/import")
    organizer.get_by_label("Guest list file (CSV)").set_input_files(guest_csv(tmp_path / "g.csv"))
    organizer.get_by_role("button", name="Preview the import").click()
    expect(organizer.get_by_role("button", name=f"Import {len(GUESTS)} guests")).to_be_visible()
    preview_path = organizer.url.removeprefix(a)
    assert preview_path.startswith(f"/events/{slug}/import/")
    organizer.goto(b + preview_path)
    organizer.get_by_role("button", name=f"Import {len(GUESTS)} guests").click()
    expect(organizer.get_by_text(f"Imported {len(GUESTS)} guests.")).to_be_visible()
    assert query(cluster, "select count(*) from attendees") == len(GUESTS)

    people = {p["email"]: p for p in json.loads(cluster.flask("links", slug, "--json"))}
    check_in_at_the_door(cluster, organizer, cluster_browser, slug, people)
    record_a_card(cluster, cluster_browser, people)
    digests_go_out_through_the_worker(cluster, organizer, slug, cluster_inbox)
    organizer.context.close()


def check_in_at_the_door(cluster, organizer, browser, slug, people) -> None:
    """The organizer makes a door pass; a phone at the door checks three guests in."""
    organizer.goto(f"{cluster.base_url}/events/{slug}")
    organizer.get_by_label("Volunteer or door name").fill("Front door")
    organizer.get_by_role("button", name="Create door pass").click()
    door_url = organizer.get_by_role("textbox", name="Door link").input_value()
    assert door_url.startswith(f"{cluster.base_url}/door/")
    door = phone(browser)
    door.goto(door_url)
    for name, email, year in GUESTS[:3]:
        scan(door, people[email]["ticket_url"], name, year)
    sql = "select count(*) from attendees where checked_in_at is not null"
    assert query(cluster, sql) == 3
    assert scans_served_by(cluster, "node0-door") == 3
    assert scans_served_by(cluster, "node0") == scans_served_by(cluster, "node1") == 0
    # With the door lanes down, Caddy sends the door to the nodes: the line keeps moving.
    cluster.end("node0-door")
    cluster.end("node1-door")
    name, email, year = GUESTS[3]
    scan(door, people[email]["ticket_url"], name, year)
    assert query(cluster, sql) == 4
    assert scans_served_by(cluster, "node0") + scans_served_by(cluster, "node1") == 1
    door.context.close()


def scan(door, code: str, name: str, year: int) -> None:
    """Type a ticket's code into the door page as a scanner does; see the welcome."""
    door.locator("#code").focus()
    door.keyboard.type(code)
    door.keyboard.press("Enter")
    expect(door.locator("#result")).to_contain_text(f"Welcome, {name} ’{year % 100:02d}")


def scans_served_by(cluster, process: str) -> int:
    """How many door check-ins that gunicorn answered (its access log)."""
    return len(re.findall(r'"POST /door/[^/ ]+/check-in ', cluster.log_of(process)))


def record_a_card(cluster, browser, people) -> None:
    """Ada opens her personal link on node A, asks for the digest, records meeting Grace on B."""
    a, b = cluster.node_urls
    ada, grace = people["ada@example.org"], people["grace@example.org"]
    guest = phone(browser)
    guest.goto(ada["login_url"].replace(cluster.base_url, a))
    guest.get_by_role("button", name="Continue as Ada").click()
    expect(guest.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hi, "))
    guest.get_by_role("link", name="Profile", exact=True).click()
    guest.get_by_label("Send me the next-morning email").check()
    guest.get_by_role("button", name="Save profile").click()
    expect(guest.locator(".flash")).to_have_text("Your profile is saved.")
    guest.goto(grace["ticket_url"].replace(cluster.base_url, b))
    expect(guest.locator("h1")).to_contain_text("Add Grace Hopper")
    guest.get_by_label("Note").fill("Compilers, and the nanosecond wire")
    guest.get_by_role("button", name="Save", exact=True).click()
    expect(guest.get_by_role("heading", level=1)).to_have_text("Grace Hopper ’34")
    assert query(cluster, "select count(*) from cards") == 1
    guest.context.close()


def digests_go_out_through_the_worker(cluster, organizer, slug, inbox) -> None:
    """'Send the digests now' queues in Redis; the worker sends Ada's to the SMTP server."""
    organizer.goto(f"{cluster.base_url}/events/{slug}/digest")
    organizer.get_by_label("Yes, send the digests now").check()
    organizer.get_by_role("button", name="Send the digests now").tap()
    expect(organizer.get_by_role("heading", name="Each guest's digest")).to_be_visible()
    deadline = time.monotonic() + MAIL_SECONDS
    while not inbox.to("ada@example.org") and time.monotonic() < deadline:
        time.sleep(0.25)
    assert inbox.to("ada@example.org"), f"no digest for Ada\n{cluster.logs()}"
    [digest] = inbox.to("ada@example.org")
    assert "Grace Hopper" in digest.get_body(("plain",)).get_content()
    assert digest["List-Unsubscribe"].startswith(f"<{cluster.base_url}/")
    assert not inbox.to("grace@example.org")  # Grace never asked for it


def test_failed_sign_ins_on_two_nodes_count_against_one_limit(cluster, cluster_browser):
    """Wrong passwords sent to node A and node B in turn use up one shared budget: per account
    from this address first, then per address (a new account each time)."""
    per_account = parse(PER_ACCOUNT_HERE.limits).amount
    per_address = parse(PER_ADDRESS.limits).amount
    page = phone(cluster_browser)
    page.goto(f"{cluster.node_urls[0]}/sign-in")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")

    def wrong_password(attempt: int, email: str):
        node = cluster.node_urls[attempt % 2]
        return page.context.request.post(
            f"{node}/sign-in",
            form={"email": email, "password": "wrong guess", "csrf_token": token},
            headers={"Referer": f"{node}/sign-in"},
            max_redirects=0,
        )

    same = [wrong_password(i, "guesser@example.org") for i in range(per_account + 1)]
    assert [r.status for r in same] == [422] * per_account + [429]
    assert int(same[-1].headers["retry-after"]) > 0
    statuses = [422] * per_account  # the refused ones count per address too
    for attempt in range(4 * per_address):  # per node and per worker, it would take 4 times
        statuses.append(wrong_password(attempt, f"guesser{attempt}@example.org").status)
        if statuses[-1] == 429:
            break
    assert statuses == [422] * per_address + [429], statuses
    page.context.close()
