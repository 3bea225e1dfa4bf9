"""A door phone forgets its saved guest list once its pass is revoked or expires; queues stay."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from checkin.door import passes
from checkin.events import tickets
from checkin.extensions import db
from checkin.models import DoorPass, Event, utcnow

from .conftest import GUESTS
from .door_phone import new_phone, wait_for_async
from .test_door_offline import PAGE_KEPT, ROSTER_SAVED, assert_clean_offline, open_door, scan

ENDED = "This door link has expired or was revoked. Ask the organizer for a new one."
# Every guest list this phone keeps, as [slug, how many guests] (IndexedDB read directly).
ROSTERS = """async () => {
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open("checkin-door");
    r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error);
  });
  if (!db.objectStoreNames.contains("rosters")) { db.close(); return []; }
  const all = await new Promise((ok) => {
    const r = db.transaction("rosters").objectStore("rosters").getAll();
    r.onsuccess = () => ok(r.result);
  });
  db.close();
  return all.map((r) => [r.slug, r.attendees.length]);
}"""
NO_ROSTER = f"async () => (await ({ROSTERS})()).length === 0"
# Scans waiting in the outbox, read without outbox.js (the 401 page does not load it).
QUEUED = """async () => {
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open("checkin-outbox");
    r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error);
  });
  const n = await new Promise((ok) => {
    const r = db.transaction("items").objectStore("items").count();
    r.onsuccess = () => ok(r.result);
  });
  db.close();
  return n;
}"""
PAGE_GONE = f"async (url) => !(await ({PAGE_KEPT})(url))"
POLL_401 = ("Response Status Error Code 401 from",)  # htmx reports the counter's refused polls


def token_in(url: str) -> str:
    """The pass token in a door link."""
    return url.rstrip("/").rsplit("/", 1)[1]


def end_pass(app, url: str, how: str) -> None:
    """Revoke the link's pass (the organizer's domain call), or make it a minute past expiry."""
    with app.app_context():
        found = db.session.scalar(
            select(DoorPass).where(DoorPass.token_hash == tickets.digest(token_in(url)))
        )
        if how == "revoked":
            passes.revoke(found)
        else:
            found.expires_at = utcnow() - timedelta(minutes=1)
            db.session.commit()
    # The API keeps each pass for up to a second (api_passes.PASS_CACHE_SECONDS): start afresh,
    # so the phone's next contact hears about it whichever door it knocks on.
    app.extensions.get("door_pass_cache", {}).clear()


def new_pass_url(app) -> str:
    """A second door pass for the same event, as the organizer would hand out."""
    with app.app_context():
        event = db.session.scalar(select(Event))
        token = passes.token_of(passes.create(event, "Door 2"))
    return f"{app.base_url}/door/{token}/"


def queue_one_offline(page, door) -> None:
    """Open the door, lose the network, scan Grace: decided on the phone and queued."""
    open_door(page, door["url"])
    page.context.set_offline(True)
    scan(page, door["people"]["Grace Hopper"][1])
    expect(page.locator("#result .result")).to_contain_text("Offline")
    page.keyboard.press("Escape")
    assert page.evaluate(QUEUED) == 1


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_an_ended_pass_deletes_the_saved_roster_and_keeps_the_queue(live_door, browser, how):
    """Back online after the pass ended: the list goes (store and memory), the scan stays."""
    page = new_phone(browser)
    queue_one_offline(page, live_door)
    end_pass(live_door["app"], live_door["url"], how)
    page.context.set_offline(False)  # the next contact (a sync, the counter's poll) hears "ended"

    wait_for_async(page, NO_ROSTER)
    assert page.evaluate("DoorOffline.search('a')") == []  # nothing left in memory either
    expect(page.locator("#door-alert")).to_have_text(ENDED)
    expect(page.locator("#sync-expired")).to_contain_text("1 scan is kept on this phone")
    assert page.evaluate(QUEUED) == 1
    wait_for_async(page, PAGE_GONE, live_door["url"])  # the worker's copy of the door page too
    assert_clean_offline(page, also=POLL_401)

    page.goto(
        new_pass_url(live_door["app"])
    )  # the next pass sends the scan and saves the list again
    expect(page.locator("#sync-status")).to_have_text("All synced.")
    wait_for_async(page, ROSTER_SAVED, len(GUESTS))
    assert page.evaluate(QUEUED) == 0


def test_the_counters_poll_alone_is_enough_to_hear_it(live_door, browser):
    """Online, nothing queued, no scan: the counter's next poll (every 3 s) ends the pass."""
    page = new_phone(browser)
    open_door(page, live_door["url"])
    end_pass(live_door["app"], live_door["url"], "expired")
    with page.expect_response(lambda reply: reply.url.endswith("/counter")) as polled:
        wait_for_async(page, NO_ROSTER)  # well before the roster's own refresh (every 60 s)
    assert polled.value.status == 401
    expect(page.locator("#door-alert")).to_have_text(ENDED)
    expect(page.locator("#sync-expired")).to_be_hidden()  # nothing kept: one banner is enough
    assert_clean_offline(page, also=POLL_401)


def test_a_live_pass_keeps_its_roster(live_door, browser):
    """The control: the same steps without ending the pass keep the list and send the scan."""
    page = new_phone(browser)
    queue_one_offline(page, live_door)
    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_have_text("All synced.")
    with page.expect_response(lambda reply: reply.url.endswith("/counter")) as polled:
        pass
    assert polled.value.status == 200
    assert page.evaluate(ROSTERS) == [[door_slug(live_door), len(GUESTS)]]
    assert [p["name"] for p in page.evaluate("DoorOffline.search('ada')")] == ["Ada Lovelace"]
    assert page.evaluate(QUEUED) == 0
    expect(page.locator("#door-alert")).to_be_hidden()
    assert page.evaluate(PAGE_KEPT, live_door["url"])


def door_slug(door) -> str:
    """The slug of the door's event."""
    with door["app"].app_context():
        return db.session.scalar(select(Event.slug))


def test_opening_a_revoked_link_deletes_the_saved_roster(live_door, browser):
    """The link itself answers 401: that page deletes the list; the queue waits for a new pass."""
    page = new_phone(browser)
    queue_one_offline(page, live_door)
    context = page.context
    page.close()  # no door page open to hear it: the link's own page must do it
    end_pass(live_door["app"], live_door["url"], "revoked")
    context.set_offline(False)

    again = context.new_page()
    again.goto(live_door["url"])
    expect(again.get_by_role("heading", name="Link not valid")).to_be_visible()
    expect(again.locator("body")).to_contain_text("expired or was revoked")
    wait_for_async(again, NO_ROSTER)
    assert again.evaluate(QUEUED) == 1
    wait_for_async(again, PAGE_GONE, live_door["url"])


def test_offline_past_the_expiry_time_the_phone_deletes_the_roster(live_door, browser):
    """No network to hear it from: the pass's expiry time on the phone's clock is enough."""
    page = new_phone(browser)
    page.clock.install()  # the page's clock, which this test moves; the server's is untouched
    open_door(page, live_door["url"])
    page.context.set_offline(True)
    left = page.evaluate("Date.parse(document.getElementById('sync').dataset.expires) - Date.now()")
    assert left > 60_000
    page.clock.fast_forward(left - 60_000)  # a minute before the end: nothing changes yet
    page.clock.fast_forward(15_000)
    assert page.evaluate(ROSTERS) == [[door_slug(live_door), len(GUESTS)]]

    page.clock.fast_forward(60_000)  # past it; the page checks every 10 s
    wait_for_async(page, NO_ROSTER)
    expect(page.locator("#door-alert")).to_have_text(ENDED)
    assert page.evaluate("DoorOffline.search('a')") == []
    scan(page, live_door["people"]["Ada Lovelace"][1])  # no answer, and nothing decided or queued
    expect(page.locator("#door-alert")).to_have_text(ENDED)
    expect(page.locator("#result .result")).to_have_count(0)
    assert page.evaluate(QUEUED) == 0
    wait_for_async(page, PAGE_GONE, live_door["url"])


# One refused scan in this door's list of scans the server refused, made through the outbox's own
# API (a flush whose sender drops it), then how many such the phone keeps.
REFUSED_ONE = """async (scope) => {
  const box = window.CheckinOutbox;
  await box.add({ nonce: box.nonce(), kind: "checkin", scope, url: "/nowhere", body: {} });
  await box.flush(scope, async () => ({ verdict: "drop", reason: "No such ticket." }));
  return (await box.dropped(scope)).length;
}"""
REFUSED = "async (scope) => (await window.CheckinOutbox.dropped(scope)).length"
NONE_REFUSED = f"async (scope) => (await ({REFUSED})(scope)) === 0"


def test_the_ended_pass_also_forgets_the_refused_scans(live_door, browser):
    """Refused scans hold codes and names: when the pass ends they go with the roster."""
    page = new_phone(browser)
    open_door(page, live_door["url"])
    scope = f"door:{door_slug(live_door)}"
    assert page.evaluate(REFUSED_ONE, scope) == 1
    end_pass(live_door["app"], live_door["url"], "revoked")
    wait_for_async(page, NO_ROSTER)  # the counter's next poll hears it
    wait_for_async(page, NONE_REFUSED, scope)
    assert page.evaluate(REFUSED, scope) == 0
