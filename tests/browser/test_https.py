"""gunicorn terminating TLS itself, and a phone over https: the organizer signs in, a guest
continues from a personal link and records a card, the door checks a guest in by the code field
(each once failed over https with "The referrer header is missing."); cookies are Secure and
__Host-, HSTS is sent, and a POST from another site is refused. Runs whatever TEST_SCHEME says."""

import os
import re
import ssl
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import fresh_app
from playwright.sync_api import expect
from sqlalchemy import select
from support.mailserver import free_port

from checkin.door import passes
from checkin.extensions import db
from checkin.models import Card, DoorPass, Guest, utcnow

from .conftest import create_event, guests_in_the_room, open_phone, sign_in_organizer
from .door_phone import wedge_scan

ROOT = Path(__file__).resolve().parents[2]
GUESTS = [
    ("Ada Lovelace", 2009, {"consent_findable": True}),
    ("Grace Hopper", 2010, {"consent_findable": True}),
]
HSTS = "max-age=31536000"


def wait_until_serving(base_url: str, certificate, process) -> None:
    """Poll the sign-in page over TLS (certificate checked) until gunicorn answers."""
    context = certificate.client_context()
    for _ in range(150):
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/sign-in", context=context, timeout=2):
                return
        except (OSError, ssl.SSLError):
            time.sleep(0.2)
    raise AssertionError("gunicorn did not answer over https")


@pytest.fixture
def https_evening(database_url, tmp_path, certificate):
    """An event happening now (two guests in the room, one at the door, a door pass), served by
    gunicorn with --certfile/--keyfile on 127.0.0.1 and an https BASE_URL."""
    port = free_port()
    base_url = f"https://127.0.0.1:{port}"
    instance = tmp_path / "instance"
    with fresh_app(database_url, instance, BASE_URL=base_url) as app:
        with app.app_context():
            now = utcnow().astimezone(ZoneInfo("America/New_York"))
            event = create_event(start=now - timedelta(hours=1))
            people = guests_in_the_room(event, GUESTS)
            at_door = guests_in_the_room(event, [("Chloé Dubois", 2015, {})])["Chloé"]
            db.session.get(Guest, at_door["id"]).checked_in_at = None
            db.session.commit()
            door = f"{base_url}/door/{passes.token_of(passes.create(event, 'Door 1'))}/"
            slug = event.slug
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": app.config["SECRET_KEY"],  # so the ticket codes made here match
            "BASE_URL": base_url,
            "CHECKIN_INSTANCE": str(instance),
            "HUEY_IMMEDIATE": "1",
            "TRUSTED_PROXIES": "0",
        }
        command = [sys.executable, "-m", "gunicorn", "--workers", "2"]
        command += ["--bind", f"127.0.0.1:{port}", "--certfile", str(certificate.cert)]
        command += ["--keyfile", str(certificate.key), "checkin:create_app()"]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        try:
            wait_until_serving(base_url, certificate, process)
            yield {
                "app": app,
                "url": base_url,
                "slug": slug,
                "people": people,
                "door": door,
                "at_door": at_door,
            }
        finally:
            process.terminate()
            process.wait(timeout=20)


def secure_host_cookies(page) -> dict:
    """The page's cookies by name, each checked to be Secure, host-only and for the whole site."""
    found = {}
    for cookie in page.context.cookies():
        assert cookie["secure"] and cookie["path"] == "/" and cookie["domain"] == "127.0.0.1"
        found[cookie["name"]] = cookie
    return found


def test_a_phone_over_https_does_the_evening_with_secure_cookies_and_hsts(https_evening, browser):
    """At 390x844 over gunicorn's TLS: sign-in, "Continue as Ada" and a card, a check-in by the
    code field; every POST carried a same-origin Referer and passed."""
    organizer = open_phone(browser)
    reply = organizer.goto(f"{https_evening['url']}/sign-in")
    assert reply.headers["strict-transport-security"] == HSTS
    assert reply.headers["referrer-policy"] == "same-origin"
    sign_in_organizer(organizer, https_evening["url"])
    expect(organizer.get_by_role("link", name=re.compile("Fall Reunion"))).to_be_visible()
    assert set(secure_host_cookies(organizer)) == {"__Host-session", "__Host-remember"}

    ada = open_phone(browser)
    ada.goto(https_evening["people"]["Ada"]["link"])
    ada.get_by_role("button", name="Continue as Ada").tap()
    expect(ada.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hi, Ada"))
    assert "__Host-session" in secure_host_cookies(ada)
    ada.goto(https_evening["people"]["Grace"]["ticket"])
    ada.get_by_label("Note").fill("Met at the bar, over https")
    ada.get_by_role("button", name="Save", exact=True).tap()
    expect(ada.locator("h1")).to_have_text("Grace Hopper ’10")

    phone = open_phone(browser)
    assert phone.goto(https_evening["door"]).headers["cache-control"] == "no-store"
    wedge_scan(phone, https_evening["at_door"]["ticket"])
    expect(phone.locator("#result")).to_contain_text("Welcome, Chloé Dubois ’15")

    with https_evening["app"].app_context():
        assert db.session.get(Guest, https_evening["at_door"]["id"]).checked_in_at is not None
        notes = db.session.scalars(
            select(Card.note).where(Card.author_id == https_evening["people"]["Ada"]["id"])
        )
        assert list(notes) == ["Met at the bar, over https"]
    for page in (organizer, ada, phone):
        page.context.close()


@pytest.mark.parametrize(
    ("referer", "error"),
    [
        ("https://evil.example/", "The referrer does not match the host."),
        (None, "The referrer header is missing."),
    ],
)
def test_a_post_from_another_site_is_refused_over_https(https_evening, browser, referer, error):
    """The organizer's own cookies and CSRF token, posted without this site's Referer: 400 and
    no door pass; the same post with it is accepted (so the Referer is what was refused)."""
    page = open_phone(browser)
    sign_in_organizer(page, https_evening["url"])
    events = f"{https_evening['url']}/events/{https_evening['slug']}"
    page.goto(events)
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    form = {"csrf_token": token, "name": "Forged door", "hours": "4"}
    # Playwright's request context sends no Referer or Origin of its own: each is set here.
    headers = {"Referer": referer, "Origin": "https://evil.example"} if referer else {}
    refused = page.request.post(
        f"{events}/door-passes", form=form, headers=headers, max_redirects=0
    )
    assert refused.status == 400 and error in refused.text()
    with https_evening["app"].app_context():
        assert not db.session.scalar(select(DoorPass.id).where(DoorPass.name == "Forged door"))
    ours = {"Referer": events, "Origin": https_evening["url"]}
    form["name"] = "Side door"
    accepted = page.request.post(f"{events}/door-passes", form=form, headers=ours, max_redirects=0)
    assert accepted.status == 302
    page.context.close()
