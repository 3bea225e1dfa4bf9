"""The door offline on a phone: local decisions, the outbox, syncing once, expired passes."""

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import func, select

from checkin.door import passes
from checkin.extensions import db
from checkin.models import CheckInAttempt, DoorPass, Event, Guest

from .axe import serious_violations
from .conftest import GUESTS, PHONE, sign_in_organizer
from .door_phone import assert_clean, count, hold, new_phone, shot, wait_for_async

OUTBOX_ROUND_TRIP = """async () => {
  const box = window.CheckinOutbox;
  const changes = [];
  window.addEventListener("outbox:change", (e) => changes.push(e.detail.scope));
  const a = { nonce: box.nonce(), kind: "checkin", scope: "t:1", url: "/x", body: { n: 1 },
              created_at: "2026-01-01T00:00:02Z" };
  const b = { nonce: box.nonce(), kind: "checkin", scope: "t:1", url: "/x", body: { n: 2 },
              created_at: "2026-01-01T00:00:01Z" };
  const c = { nonce: box.nonce(), kind: "card", scope: "t:2", url: "/y", body: {} };
  await box.add(a); await box.add(b); await box.add(c);
  await box.add({ ...a, body: { n: 99 } });  // same nonce: kept as it was
  const listed = (await box.list("t:1")).map((i) => i.body.n);
  const counts = [await box.count("t:1"), await box.count("t:2")];
  const seen = [];
  const first = box.flush("t:1", async (item) => { seen.push(item.body.n); return "keep"; });
  const again = box.flush("t:1", async () => "sent");
  const kept = await first;
  const same = first === again;
  const sent = await box.flush("t:1", async (item) =>
    item.body.n === 1 ? { verdict: "drop", reason: "bad" } : "sent");
  const dropped = (await box.dropped("t:1")).map((i) => [i.body.n, i.reason]);
  await box.dismiss(a.nonce);
  return { listed, counts, seen, kept, same, sent, dropped, left: await box.count("t:1"),
           droppedLeft: (await box.dropped("t:1")).length, other: await box.count("t:2"),
           changes: changes.length };
}"""


def test_outbox_keeps_orders_flushes_and_drops(live_door, browser):
    """Oldest first; "keep" stops a flush; "sent" and "drop" empty it; one flush at a time."""
    page = new_phone(browser)
    page.goto(live_door["url"])
    page.wait_for_function("() => window.CheckinOutbox")
    got = page.evaluate(OUTBOX_ROUND_TRIP)
    assert got["listed"] == [2, 1]
    assert got["counts"] == [2, 1]
    assert got["seen"] == [2] and got["kept"]["kept"] == 1 and got["kept"]["left"] == 2
    assert got["same"] is True
    assert got["sent"] == {"sent": 1, "dropped": 1, "kept": 0, "left": 0, "busy": False}
    assert got["dropped"] == [[1, "bad"]]
    assert got["left"] == 0 and got["droppedLeft"] == 0 and got["other"] == 1
    assert got["changes"] >= 6
    assert_clean(page)


# ---- helpers ----------------------------------------------------------------------------------

ROSTER_SAVED = """async (size) => {
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open("checkin-door", 1);
    r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error);
  });
  if (!db.objectStoreNames.contains("rosters")) return false;
  const all = await new Promise((ok) => {
    const r = db.transaction("rosters").objectStore("rosters").getAll();
    r.onsuccess = () => ok(r.result);
  });
  return all.length === 1 && all[0].attendees.length === size;
}"""
PAGE_KEPT = """async (url) => (await caches.has("checkin-pages"))
  && Boolean(await (await caches.open("checkin-pages")).match(url))"""


def open_door(page, url, guests=6):
    """Open the door online and wait until it can work offline (worker, kept page, saved list)."""
    page.goto(url)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    wait_for_async(page, PAGE_KEPT, url)
    wait_for_async(page, ROSTER_SAVED, guests)


def scan(page, text):
    """Type a ticket into the code field and check in, as a volunteer with a keyboard does."""
    page.keyboard.press("Escape")  # back from a full-screen answer
    page.locator("#code").fill(text)
    page.locator("#scan-form").get_by_role("button", name="Check in").click()


def admitted(app) -> int:
    """How many guests the server has checked in."""
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Guest).where(Guest.checked_in_at.is_not(None))
        )


def test_door_keeps_scanning_offline_and_sends_each_scan_once(live_door, browser):
    """Online one admit; offline five, marked offline; reload offline; sync; nothing twice."""
    page = new_phone(browser)
    open_door(page, live_door["url"])
    people = list(live_door["people"].values())
    scan(page, people[0][1])
    expect(page.locator("#result .result")).to_contain_text("Welcome, Ada Lovelace ’09")
    expect(page.locator("#result .result-offline")).to_have_count(0)
    assert admitted(live_door["app"]) == 1

    page.context.set_offline(True)
    for (name, year), (_id, ticket) in zip(GUESTS[1:], people[1:], strict=True):
        scan(page, ticket)
        result = page.locator("#result .result")
        expect(result).to_contain_text(f"Welcome, {name} ’{year % 100:02d}")
        expect(result).to_contain_text("Offline")
    shot(page, "offline-result")
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Sync now (5 waiting)")).to_be_visible()
    shot(page, "sync-now")
    assert admitted(live_door["app"]) == 1

    page.reload()
    expect(page.get_by_role("button", name="Sync now (5 waiting)")).to_be_visible()
    expect(page.locator(".door-where")).to_contain_text("Fall Reunion 2026")
    attempts = count(live_door["app"])

    page.context.set_offline(False)  # the page sends by itself: on "online", or within 15 s
    expect(page.locator("#sync-status")).to_have_text("All synced.", timeout=20_000)
    expect(page.locator("#sync-now")).to_be_hidden()
    assert admitted(live_door["app"]) == 6
    assert count(live_door["app"]) == attempts + 5

    sent = len([u for u in page.seen["requests"] if u.endswith("/checkins")])
    page.reload()
    wait_for_async(page, ROSTER_SAVED, len(GUESTS))
    page.wait_for_timeout(500)
    assert len([u for u in page.seen["requests"] if u.endswith("/checkins")]) == sent
    assert count(live_door["app"]) == attempts + 5
    assert admitted(live_door["app"]) == 6
    assert_clean_offline(page)


def test_sync_now_sends_what_waits_and_says_all_synced(live_door, browser):
    """While the API cannot be reached scans wait; "Sync now (N waiting)" sends them."""
    # Chromium does not always route requests of a page a service worker controls (a CI run
    # once sent both scans past the routes below), and this test needs no worker: the scans
    # wait in the page's own outbox. So this phone runs without one.
    page = new_phone(browser, service_workers="block")
    page.clock.install()  # runs as usual until paused below
    page.goto(live_door["url"])
    wait_for_async(page, ROSTER_SAVED, 6)
    page.route("**/api/v1/**", lambda route: route.abort("connectionrefused"))
    page.route("**/check-in", lambda route: route.abort("connectionrefused"))
    for name in ("Grace Hopper", "Maya Iyer"):
        scan(page, live_door["people"][name][1])
        expect(page.locator("#result .result")).to_contain_text(name)
    page.keyboard.press("Escape")
    # Stop the page's timers, so its every-15-s flush cannot send the scans before the button
    # does (a flush under way now fails against the blocked routes and shows the button again).
    page.clock.pause_at(datetime.now(UTC) + timedelta(seconds=2))
    sync = page.get_by_role("button", name="Sync now (2 waiting)")
    expect(sync).to_be_visible()
    expect(page.locator("#sync-status")).to_have_text("Offline. 2 scans kept on this phone.")
    page.unroute("**/api/v1/**")
    page.unroute("**/check-in")
    sync.click()
    expect(page.locator("#sync-status")).to_have_text("All synced.")
    assert admitted(live_door["app"]) == 2
    assert count(live_door["app"], result="admitted") == 2
    assert_clean(page)


def test_two_phones_offline_admit_the_same_guest_once_and_the_organizer_sees_it(
    live_door, browser, live_app
):
    """Both phones say welcome offline; the server keeps one admission, the earlier scan's."""
    first, second = new_phone(browser), new_phone(browser)
    for phone in (first, second):
        open_door(phone, live_door["url"])
        phone.context.set_offline(True)
    grace_id, grace = live_door["people"]["Grace Hopper"]
    scan(first, grace)
    expect(first.locator("#result .result")).to_contain_text("Welcome, Grace Hopper ’34")
    first.wait_for_timeout(1200)
    scan(second, grace)
    expect(second.locator("#result .result")).to_contain_text("Welcome, Grace Hopper ’34")
    expect(second.locator("#result .result")).to_contain_text("Offline")
    slug = first.locator("#sync").get_attribute("data-event")
    earlier = first.evaluate(
        "(s) => CheckinOutbox.list(s).then((i) => i[0].created_at)", f"door:{slug}"
    )

    for phone in (second, first):  # the later scan arrives first
        phone.context.set_offline(False)
        expect(phone.locator("#sync-status")).to_have_text("All synced.", timeout=20_000)
    with live_app.app_context():
        guest = db.session.get(Guest, grace_id)
        scanned = datetime.fromisoformat(earlier.replace("Z", "+00:00"))
        assert abs(guest.checked_in_at.astimezone(UTC) - scanned) < timedelta(milliseconds=5)
        offline = db.session.scalar(
            select(func.count()).select_from(CheckInAttempt).filter_by(attendee_id=grace_id)
        )
    assert admitted(live_door["app"]) == 1
    assert offline == 2

    organizer = new_phone(browser)
    sign_in_organizer(organizer, live_app.base_url, f"/events/{slug}")
    conflicts = organizer.locator("#conflicts")
    expect(conflicts).to_contain_text("Grace Hopper")
    expect(conflicts.locator(".conflict-admissions > li")).to_have_count(2)
    for phone in (first, second):
        assert_clean_offline(phone)


def test_expired_pass_keeps_the_scans_and_a_new_pass_sends_them(live_door, browser, live_app):
    """A revoked link keeps its scans and says so; the next link for the event sends them."""
    page = new_phone(browser)
    open_door(page, live_door["url"])
    page.context.set_offline(True)
    scan(page, live_door["people"]["Grace Hopper"][1])
    expect(page.locator("#result .result")).to_contain_text("Offline")
    shots(page, "offline-result", hold_result=True)
    page.keyboard.press("Escape")
    shots(page, "sync-now")
    with live_app.app_context():
        passes.revoke(db.session.scalar(select(DoorPass)))
        event = db.session.scalar(select(Event))
        token = passes.token_of(passes.create(event, "Door 2"))
    new_url = f"{live_app.base_url}/door/{token}/"
    page.wait_for_timeout(1100)  # the API's pass cache (api_passes.PASS_CACHE_SECONDS)

    page.context.set_offline(False)
    page.get_by_role("button", name="Sync now (1 waiting)").click()
    expired = page.locator("#sync-expired")
    expect(expired).to_have_text(
        "This door link expired. Ask the organizer for a new door pass; 1 scan is kept on this "
        "phone and will be sent when you open the new link."
    )
    expect(page.get_by_role("button", name="Sync now (1 waiting)")).to_be_visible()
    maya = live_door["people"]["Maya Iyer"][1]
    scan(page, maya)  # online, and the server refuses the pass: an answer, decided nowhere
    expect(page.locator("#door-alert")).to_contain_text("This door link has expired or was revoked")
    expect(page.locator("#code")).to_have_value(maya)
    shots(page, "expired-pass")
    assert admitted(live_door["app"]) == 0

    page.reload()  # the old link is gone for good: the worker forgets the page it kept
    expect(page.locator("body")).to_contain_text("expired")
    assert not page.evaluate(PAGE_KEPT, live_door["url"])
    page.goto(new_url)
    expect(page.locator("#sync-status")).to_have_text("All synced.")
    expect(page.locator(".door-where")).to_contain_text("Door 2")
    assert admitted(live_door["app"]) == 1
    with live_app.app_context():
        doors = db.session.scalars(
            select(CheckInAttempt.door_pass_id).where(CheckInAttempt.result == "admitted")
        ).all()
        new_pass = db.session.scalar(select(DoorPass.id).where(DoorPass.name == "Door 2"))
        assert doors == [new_pass]  # sent with the new pass
    # The counter polls every 3 s: a poll after the revocation is refused (401), as it should be.
    assert_clean_offline(page, also=("Response Status Error Code 401 from",))


def test_a_scan_the_server_refuses_is_set_aside_visibly(live_door, browser):
    """A phone whose clock is an hour fast: the server refuses its scans (422); they are shown."""
    page = new_phone(browser)
    open_door(page, live_door["url"])
    page.context.set_offline(True)
    page.clock.install(time=datetime.now(UTC) + timedelta(hours=1))
    scan(page, live_door["people"]["Grace Hopper"][1])
    expect(page.locator("#result .result")).to_contain_text("Offline")
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Sync now (1 waiting)")).to_be_visible()
    page.context.set_offline(False)
    failed = page.locator("#sync-failed")
    expect(failed).to_contain_text("Could not be sent", timeout=20_000)
    expect(failed).to_contain_text("Grace Hopper")
    expect(failed).to_contain_text("this phone's clock is ahead")
    expect(page.locator("#sync-status")).not_to_have_text("All synced.")
    expect(page.locator("#sync-now")).to_be_hidden()
    shots(page, "could-not-send")
    assert admitted(live_door["app"]) == 0
    assert serious_violations(page) == []
    page.get_by_role("button", name="Dismiss Grace Hopper").click()
    expect(failed).to_be_hidden()
    assert_clean_offline(page)


def test_search_and_check_in_by_name_work_offline(live_door, browser):
    """Offline, the name search uses the saved list; a pick is sent once when back online."""
    page = new_phone(browser)
    open_door(page, live_door["url"])
    page.context.set_offline(True)
    page.get_by_role("searchbox", name="Find by name").fill("chloe")
    row = page.locator("#results li", has_text="Chloé Dubois ’15")
    expect(row).to_be_visible()
    expect(page.locator("#results")).to_contain_text("saved on this phone")
    row.get_by_role("button", name="Check in Chloé Dubois").click()
    expect(page.locator("#result .result")).to_contain_text("Welcome, Chloé Dubois ’15")
    expect(page.locator("#result .result")).to_contain_text("Offline")
    page.keyboard.press("Escape")
    expect(row).to_contain_text("In since")
    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_have_text("All synced.", timeout=20_000)
    assert admitted(live_door["app"]) == 1
    assert (
        count(live_door["app"], action="search", result="admitted", offline=True, shown="admitted")
        == 1
    )
    assert_clean_offline(page)


def test_walk_in_offline_says_it_needs_a_connection(live_door, browser):
    """Registering a walk-in is not decided offline; the volunteer is told plainly."""
    page = new_phone(browser)
    open_door(page, live_door["url"])
    page.context.set_offline(True)
    page.get_by_text("Walk-in: not on the list").click()
    page.get_by_role("textbox", name="Name", exact=True).fill("Walk In Person")
    page.get_by_role("button", name="Register and check in").click()
    expect(page.locator("#door-alert")).to_have_text(
        "Registering a walk-in needs a connection. Note their name and add them when it is back."
    )


def test_undo_of_an_offline_admission_sends_nothing(live_door, browser):
    """Undo on a welcome decided offline takes the scan out of the queue."""
    page = new_phone(browser)
    open_door(page, live_door["url"])
    page.context.set_offline(True)
    scan(page, live_door["people"]["Maya Iyer"][1])
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#result .result")).to_contain_text("Check-in undone")
    expect(page.locator("#sync-now")).to_be_hidden()
    scan(page, live_door["people"]["Maya Iyer"][1])  # not "already checked in": it was undone
    expect(page.locator("#result .result")).to_contain_text("Welcome, Maya Iyer ’21")


def test_same_guest_twice_offline_is_already_in_on_this_phone(live_door, browser):
    """The second scan of a guest this phone admitted offline says so, with the time."""
    page = new_phone(browser)
    open_door(page, live_door["url"])
    page.context.set_offline(True)
    scan(page, live_door["people"]["Maya Iyer"][1])
    expect(page.locator("#result .result")).to_contain_text("Welcome")
    scan(page, live_door["people"]["Maya Iyer"][1])
    result = page.locator("#result .result")
    expect(result).to_contain_text("Already checked in")
    expect(result).to_contain_text("on this phone")
    scan(page, "NOT-A-TICKET")
    expect(result).to_contain_text("Not on the list")
    scan(page, live_door["people"]["Ada Lovelace"][1].replace("/t/", "/t/x"))
    expect(result).to_contain_text("Not on the list")


def test_repeat_visit_loads_the_shell_from_the_worker(live_door, browser, live_app):
    """A second visit asks the server for the page itself and data, never for the shell."""
    hits = []
    inner = live_app.wsgi_app

    def counting(environ, start_response):
        hits.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    live_app.wsgi_app = counting
    page = new_phone(browser)
    open_door(page, live_door["url"])
    page.reload()
    wait_for_async(page, ROSTER_SAVED, len(GUESTS))
    hits.clear()
    page.reload()
    expect(page.locator("#camera-status")).not_to_have_text("")
    wait_for_async(page, ROSTER_SAVED, len(GUESTS))
    page.wait_for_timeout(300)
    assert [h for h in hits if h.startswith("/static/")] == []
    assert hits.count(live_door["url"].replace(live_app.base_url, "")) == 1
    served = [r for r in page.seen["responses"] if "/static/" in r.url]
    assert served and all(r.from_service_worker for r in served[-5:])


def test_pages_kept_for_offline_are_forgotten_on_request(live_door, browser):
    """A page can ask the worker to drop the pages it keeps (sign-out); the shell stays."""
    page = new_phone(browser)
    open_door(page, live_door["url"])
    page.evaluate("() => CheckinPwa.forgetPages()")
    wait_for_async(page, "async () => !(await caches.has('checkin-pages'))")
    assert any(name.startswith("checkin-shell-") for name in page.evaluate("caches.keys()"))


def test_other_tabs_hear_about_outbox_changes(live_door, browser):
    """A second tab's count follows the first's queue (BroadcastChannel)."""
    page = new_phone(browser)
    page.goto(live_door["url"])
    other = page.context.new_page()
    other.goto(live_door["url"])
    other.evaluate(
        "() => { window.heard = []; window.addEventListener('outbox:change', "
        "(e) => window.heard.push(e.detail)); }"
    )
    page.evaluate(
        "() => CheckinOutbox.add({nonce: CheckinOutbox.nonce(), kind: 'card', "
        "scope: 'cards:x:1', url: '/x', body: {}})"
    )
    other.wait_for_function("() => window.heard.some((d) => d.scope === 'cards:x:1' && d.remote)")
    assert other.evaluate("() => CheckinOutbox.count('cards:x:1')") == 1


def assert_clean_offline(page, also=()):
    """assert_clean, less htmx's own console report of the requests that failed while offline
    (and of any others named in `also`)."""
    expected = ("htmx:sendError", "htmx:afterRequest", *also)
    page.seen["errors"] = [e for e in page.seen["errors"] if not e.startswith(expected)]
    assert_clean(page)


def shots(page, name, hold_result=False):
    """Screenshots at 390 and 360 px wide."""
    for width in (PHONE["width"], 360):
        page.set_viewport_size({"width": width, "height": PHONE["height"]})
        if hold_result:
            hold(page)
        shot(page, f"{name}-{width}")
    page.set_viewport_size(PHONE)


def test_with_no_saved_list_an_offline_scan_says_it_cannot_check(live_door, browser):
    """A phone offline before its guest list arrived says so, rather than "not on the list"."""
    page = new_phone(browser)
    page.route("**/roster", lambda route: route.abort("connectionrefused"))
    page.goto(live_door["url"])
    page.context.set_offline(True)
    scan(page, live_door["people"]["Grace Hopper"][1])
    expect(page.locator("#result .result")).to_contain_text("Can't check this ticket")
    page.keyboard.press("Escape")
    page.unroute("**/roster")
    page.context.set_offline(False)
    expect(page.locator("#sync-status")).to_have_text("All synced.", timeout=20_000)
    assert admitted(live_door["app"]) == 1  # the server decided when it arrived


def test_offline_answers_and_the_waiting_line_pass_axe(live_door, browser):
    """The offline answer, the "Sync now" line, local search results and the expired note."""
    page = new_phone(browser)
    open_door(page, live_door["url"])
    page.context.set_offline(True)
    scan(page, live_door["people"]["Grace Hopper"][1])
    hold(page)
    assert serious_violations(page) == [], "offline welcome"
    scan(page, live_door["people"]["Grace Hopper"][1])
    hold(page)
    assert serious_violations(page) == [], "already in on this phone"
    page.keyboard.press("Escape")
    page.get_by_role("searchbox", name="Find by name").fill("o")
    expect(page.locator("#results")).to_contain_text("saved on this phone")
    assert serious_violations(page) == [], "waiting line and local results"
    with live_door["app"].app_context():
        passes.revoke(db.session.scalar(select(DoorPass)))
    page.wait_for_timeout(1100)  # the API's pass cache
    page.context.set_offline(False)
    page.get_by_role("button", name="Sync now (2 waiting)").click()
    expect(page.locator("#sync-expired")).to_be_visible()
    assert serious_violations(page) == [], "expired pass"
