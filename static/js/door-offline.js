/* The door's offline half (window.DoorOffline), used by door.js. It keeps the event's guest list
 * (the roster API) in IndexedDB, decides a scan on the phone when the server cannot answer, queues
 * what it decided in the outbox (outbox.js) and sends it when it can, and keeps the "N waiting"
 * line at the top of the page right.
 *
 * How it decides offline: the code is parsed out of the scanned text as the server does
 * (tickets.parse_scan), hashed with SHA-256 and looked up in the saved list. A guest the list says
 * is in, or that this phone admitted and has not sent yet, is "already checked in"; a code not on
 * the list (or an old, replaced ticket: the list only holds current tickets) is "not on the list".
 *
 * What it sends: a scan goes to the JSON API (POST /api/v1/events/<slug>/checkins) with the nonce
 * the phone first tried online, the scan time and what the phone showed ("shown"), so a scan that
 * did reach the server is not counted twice, and the server takes the earliest scan as the
 * admission. A guest checked in by name offline goes to the same API with their roster id
 * ("attendee_id") instead of a code, its own scan time and what was shown. Items belong to the event ("door:<slug>"), not to the
 * pass: after "this door link expired" they are sent with the next pass for the same event.
 * Walk-ins are not decided offline: registering someone needs the server.
 *
 * When it sends: on page load, every FLUSH_EVERY_MS, on "online", on focus and when the page
 * becomes visible, when the service worker relays a Background Sync ("outbox:flush"), and from the
 * "Sync now" button. navigator.onLine is never trusted: only a failed request means offline.
 *
 * When the pass is over: any answer with "X-Door-Pass: ended" (the roster refresh, a scan, the
 * counter's poll through htmx, a sync) or, even offline, the pass's expiry time (data-expires) by
 * this phone's clock ends it for this page: the saved guest list is deleted from IndexedDB
 * (door-rosters.js) and memory, the worker forgets the page it kept for this link, nothing more is
 * decided on the phone, and "door:ended" is fired on window for the page to say so. The queue
 * stays: the next pass for the event sends it. */
(() => {
  "use strict";

  const FLUSH_EVERY_MS = 15000;
  const ROSTER_EVERY_MS = 60000;
  const EXPIRY_EVERY_MS = 10000;
  const ENDED = ["X-Door-Pass", "ended"]; // door_passes.ENDED_HEADER
  const SEND_TIMEOUT_MS = 10000;
  const box = window.CheckinOutbox;
  const rosters = window.DoorRosters;

  const conf = {};
  const ui = {};
  const roster = { byHash: new Map(), byId: new Map(), etag: "" };
  const state = { expired: false, ended: false, offline: false, synced: false, sending: false,
    shownLeft: -1 };
  let clock = null;

  function start(section) {
    Object.assign(conf, section.dataset);
    conf.scope = "door:" + conf.event;
    conf.expiresAt = Date.parse(conf.expires || "");
    for (const id of ["sync-status", "sync-now", "sync-expired", "sync-failed", "sync-failed-list"]) {
      ui[id] = document.getElementById(id);
    }
    clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      timeZone: conf.zone || undefined });
    ui["sync-now"].addEventListener("click", () => flush());
    ui["sync-failed-list"].addEventListener("click", onDismiss);
    window.addEventListener("outbox:change", (event) => {
      if (!event.detail || event.detail.scope === conf.scope) render();
    });
    window.addEventListener("outbox:flush", () => flush());
    window.addEventListener("online", () => flush());
    window.addEventListener("focus", () => flush());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") { checkExpiry(); flush(); }
    });
    // The counter polls through htmx; its 401 says the pass ended too (htmx 2 and htmx 4 names).
    document.addEventListener("htmx:responseError", onHtmxError);
    document.addEventListener("htmx:response:error", onHtmxError);
    setInterval(flush, FLUSH_EVERY_MS);
    setInterval(refreshRoster, ROSTER_EVERY_MS);
    setInterval(checkExpiry, EXPIRY_EVERY_MS);
    if (rosters) rosters.sweep().catch(() => {}); // lists of other passes that expired meanwhile
    if (!checkExpiry()) loadRoster().then(refreshRoster);
    render();
    flush();
  }

  /* ---- The guest list, kept in IndexedDB. ---- */

  function useRoster(guests, etag) {
    roster.byHash.clear();
    roster.byId.clear();
    for (const person of guests) {
      roster.byId.set(person.id, person);
      if (person.code_hash) roster.byHash.set(person.code_hash, person);
    }
    roster.etag = etag || "";
  }

  async function loadRoster() {
    try {
      const saved = rosters ? await rosters.get(conf.event) : null;
      if (saved && !state.ended) useRoster(saved.attendees, saved.etag);
    } catch (error) { /* no IndexedDB: the list lives in memory only */ }
  }

  function saveRoster() {
    if (state.ended || !rosters) return Promise.resolve();
    const record = { slug: conf.event, etag: roster.etag, saved_at: new Date().toISOString(),
      expires_at: Number.isNaN(conf.expiresAt) ? null : conf.expiresAt,
      attendees: Array.from(roster.byId.values()) };
    return rosters.put(record).catch(() => {});
  }

  async function refreshRoster() {
    if (state.ended) return;
    const headers = { Authorization: "Bearer " + conf.token };
    if (roster.etag && roster.byId.size) headers["If-None-Match"] = roster.etag;
    const reply = await request(conf.roster, { headers, cache: "no-store" });
    if (reply && reply.status === 304) {
      // Another tab whose pass ended may have deleted the list this page still holds.
      if (rosters && !(await rosters.has(conf.event).catch(() => true))) await saveRoster();
      return;
    }
    if (!reply || !reply.ok) return;
    const body = await reply.json();
    if (state.ended) return; // the pass ended while the list was on its way
    useRoster(body.attendees, reply.headers.get("ETag"));
    await saveRoster();
  }

  /* ---- When the pass is over. ---- */

  /** True (and the pass ended here) once the pass's expiry time has passed on this phone's clock. */
  function checkExpiry() {
    if (!state.ended && conf.expiresAt <= Date.now()) end();
    return state.ended;
  }

  function endedBy(reply) {
    return Boolean(reply && reply.headers && reply.headers.get(ENDED[0]) === ENDED[1]);
  }

  function onHtmxError(event) {
    const detail = event.detail || {};
    const response = detail.ctx && detail.ctx.response; // htmx 4; htmx 2 hands over the XHR
    const said = detail.xhr ? detail.xhr.getResponseHeader(ENDED[0])
      : response && response.headers ? response.headers.get(ENDED[0]) : null;
    if (said === ENDED[1]) end();
  }

  /** This pass opens nothing any more: forget the guest list, the kept page and the scans the
   * server refused (they carry codes and names); keep the queue, which a new pass sends. */
  function end() {
    if (state.ended) return;
    state.ended = true;
    useRoster([], "");
    if (rosters) rosters.forget(conf.event).catch(() => {});
    if (box) {
      box.dropped(conf.scope)
        .then((items) => Promise.all(items.map((item) => box.dismiss(item.nonce))))
        .catch(() => {});
    }
    if (window.CheckinPwa && window.CheckinPwa.forgetPage) window.CheckinPwa.forgetPage(conf.door);
    noteExpired();
    window.dispatchEvent(new CustomEvent("door:ended"));
  }

  /** What the server said about someone on this page (data-guest on a result): remember it. */
  function seen(guestId, result, at) {
    const person = roster.byId.get(Number(guestId));
    if (!person) return;
    if (result === "admitted" || result === "already_admitted") {
      person.checked_in = true;
      person.checked_in_at = person.checked_in_at || at || new Date().toISOString();
    } else if (result === "undone") {
      person.checked_in = false;
      person.checked_in_at = null;
    } else {
      return;
    }
    saveRoster();
  }

  /* ---- Deciding on the phone. ---- */

  /** Guests this phone admitted that the server has not heard about yet: id -> scan time. */
  async function admittedHere() {
    const here = new Map();
    for (const item of await box.list(conf.scope)) {
      if (item.local && item.body.shown === "admitted") here.set(item.local.attendee_id, item.created_at);
    }
    return here;
  }

  async function verdict(person) {
    if (!person) return { result: "unknown", person: null, noList: roster.byId.size === 0 };
    const here = (await admittedHere()).get(person.id);
    if (here) return { result: "already_admitted", person, at: here, here: true };
    if (person.checked_in) return { result: "already_admitted", person, at: person.checked_in_at };
    return { result: "admitted", person };
  }

  /** Decide on a scanned or typed code offline and queue it; resolves with what to show. */
  async function decideScan(text, nonce, scannedAt) {
    const code = box ? box.ticketCode(text) : null;
    const person = code ? roster.byHash.get(await box.sha256(code)) : null;
    const answer = await verdict(person);
    if (!text.trim()) return answer; // nothing was scanned: nothing to send
    const body = { code: text.trim(), nonce, scanned_at: scannedAt, shown: answer.result,
      device: device() };
    await queue(nonce, conf.checkins, body, answer, scannedAt);
    return answer;
  }

  /** Decide on a guest picked by name offline and queue it. */
  async function decidePick(guestId, nonce, scannedAt) {
    const answer = await verdict(roster.byId.get(Number(guestId)));
    const body = { attendee_id: Number(guestId), nonce, scanned_at: scannedAt, shown: answer.result,
      device: device() };
    if (answer.person) await queue(nonce, null, body, answer, scannedAt);
    return answer;
  }

  function queue(nonce, url, body, answer, scannedAt) {
    const local = answer.person ? { attendee_id: answer.person.id, name: answer.person.name } : null;
    return box.add({ nonce, kind: "checkin", scope: conf.scope, url, body, created_at: scannedAt,
      local });
  }

  /** Take back an offline admission that has not been sent yet; false if it already went. */
  async function undo(nonce) {
    const waiting = (await box.list(conf.scope)).some((item) => item.nonce === nonce);
    if (waiting) await box.remove(nonce);
    return waiting;
  }

  /** Guests on the saved list whose name holds what was typed (accents and case ignored). */
  async function search(query) {
    const needle = fold(query);
    if (!needle) return [];
    const here = await admittedHere();
    return Array.from(roster.byId.values())
      .filter((p) => fold(p.name).includes(needle))
      .sort((a, b) => a.name.localeCompare(b.name))
      .slice(0, 12)
      .map((p) => ({ ...p, in_at: here.get(p.id) || (p.checked_in ? p.checked_in_at : null) }));
  }

  function fold(text) {
    return (text || "").normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().split(/\s+/)
      .filter(Boolean).join(" ");
  }

  /** This phone, as the organizer's page names it: "phone 3fa9c1 (Android)", kept per browser. */
  function device() {
    let id = "";
    try {
      id = localStorage.getItem("checkin-device") || "";
      if (!id) {
        id = box.nonce().slice(0, 6);
        localStorage.setItem("checkin-device", id);
      }
    } catch (error) { id = id || "unknown"; }
    const ua = navigator.userAgent;
    const system = [[/Android/, "Android"], [/iPhone|iPad|iPod/, "iOS"], [/Windows/, "Windows"],
      [/Mac OS X/, "macOS"], [/CrOS/, "ChromeOS"], [/Linux/, "Linux"]].find(([re]) => re.test(ua));
    return "phone " + id + (system ? " (" + system[1] + ")" : "");
  }

  /* ---- Sending. ---- */

  async function request(url, options, timeout) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeout || SEND_TIMEOUT_MS);
    try {
      const reply = await fetch(url, { ...options, signal: abort.signal });
      if (reply.status === 401 || reply.status === 403) noteExpired(reply);
      else noteReached();
      return reply;
    } catch (error) {
      noteOffline();
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  async function send(item) {
    // Scans carry the code, guests picked by name their roster id; both go to the JSON API with
    // the time the phone decided, so the earliest of them counts as the admission.
    const reply = await sendScan(item);
    if (!reply || reply.status === 401 || reply.status === 403) return "keep";
    if (reply.ok) return "sent";
    if (reply.status === 404 || reply.status === 422) {
      return { verdict: "drop", reason: await reason(reply) };
    }
    return "keep"; // 5xx, 429, a proxy's error page: try again later
  }

  async function sendScan(item) {
    const reply = await request(item.url || conf.checkins, {
      method: "POST",
      headers: { Authorization: "Bearer " + conf.token, "Content-Type": "application/json" },
      body: JSON.stringify(item.body),
    });
    if (reply && reply.ok) {
      const answer = await reply.json();
      if (answer.attendee) seen(answer.attendee.id, answer.result, answer.admitted_at);
    }
    return reply;
  }

  async function reason(reply) {
    // Said for the volunteer: what went wrong, and what to do instead.
    let error = "";
    try {
      const type = reply.headers.get("Content-Type") || "";
      if (type.includes("json")) error = (await reply.json()).error || "";
    } catch (failure) { /* no reason given */ }
    if (/ahead of the server/.test(error)) {
      return "this phone's clock is ahead. Set it to automatic time, then check them in by name.";
    }
    if (reply.status === 404) return "they are no longer on this event's list.";
    return "the server refused it" + (error ? " (" + error + ")" : "") + ".";
  }

  async function flush() {
    if (!box || state.sending) return;
    state.sending = true;
    render();
    try {
      const tally = await box.flush(conf.scope, send);
      if (tally.sent || tally.dropped) {
        state.synced = true;
        refreshRoster();
      }
    } catch (error) {
      /* IndexedDB refused: nothing was sent */
    } finally {
      state.sending = false;
      render();
    }
  }

  /* ---- What the page says. ---- */

  function noteReached() {
    state.offline = false;
    if (state.expired && !state.ended) { state.expired = false; render(); }
  }

  function noteOffline() {
    if (!state.offline) { state.offline = true; render(); }
  }

  /** The server refused this pass (401/403); with "X-Door-Pass: ended" the pass is over. */
  function noteExpired(reply) {
    state.offline = false;
    if (!state.expired) { state.expired = true; render(); }
    if (endedBy(reply)) end();
  }

  let rendering = Promise.resolve();
  function render() {
    rendering = rendering.then(paint, paint);
    return rendering;
  }

  async function paint() {
    if (!box || !ui["sync-status"]) return;
    let waiting = 0;
    let failed = [];
    try {
      [waiting, failed] = await Promise.all([box.count(conf.scope), box.dropped(conf.scope)]);
    } catch (error) {
      ui["sync-status"].textContent = "This browser can't keep scans offline (storage is off).";
      return;
    }
    const scans = waiting === 1 ? "1 scan" : waiting + " scans";
    let status = "";
    if (waiting && state.offline) status = "Offline. " + scans + " kept on this phone.";
    else if (waiting) status = scans + " waiting to be sent.";
    else if (state.offline) status = "Offline. Scans are checked against the saved guest list.";
    else if (state.synced && !failed.length) status = "All synced.";
    ui["sync-status"].textContent = status;
    ui["sync-status"].classList.toggle("is-offline", state.offline);
    const button = ui["sync-now"];
    button.hidden = waiting === 0;
    button.disabled = state.sending;
    button.textContent = state.sending ? "Sending…" : "Sync now (" + waiting + " waiting)";
    // With nothing kept, the door's own alert already says the link expired: one banner is enough.
    const keptForNewLink = state.expired && waiting > 0;
    ui["sync-expired"].hidden = !keptForNewLink;
    ui["sync-expired"].textContent = !keptForNewLink ? "" : "This door link expired. Ask the "
      + "organizer for a new door pass; " + scans + (waiting === 1 ? " is" : " are")
      + " kept on this phone and will be sent when you open the new link.";
    paintFailed(failed);
    if (state.offline) paintCounter();
    document.getElementById("sync").classList.toggle("is-quiet", !status && !waiting
      && !failed.length);
  }

  function paintFailed(failed) {
    ui["sync-failed"].hidden = failed.length === 0;
    const list = ui["sync-failed-list"];
    list.replaceChildren(...failed.map((item) => {
      const row = document.createElement("li");
      const who = item.local ? item.local.name : "Code " + String(item.body.code || "").slice(0, 12);
      const text = document.createElement("span");
      text.textContent = who + ", scanned at " + time(item.created_at)
        + (item.reason ? ": " + item.reason : "");
      const dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "button";
      dismiss.dataset.dismissFailed = item.nonce;
      dismiss.textContent = "Dismiss";
      dismiss.setAttribute("aria-label", "Dismiss " + who);
      row.append(text, dismiss);
      return row;
    }));
  }

  async function paintCounter() {
    // Offline the counter stops polling: count from the saved list plus this phone's admissions.
    const strong = document.querySelector("#counter strong");
    if (!strong || !roster.byId.size) return;
    const here = await admittedHere();
    let inside = here.size;
    for (const person of roster.byId.values()) if (person.checked_in && !here.has(person.id)) inside += 1;
    strong.textContent = String(inside);
  }

  function onDismiss(event) {
    const button = event.target.closest("[data-dismiss-failed]");
    if (button) box.dismiss(button.dataset.dismissFailed);
  }

  function time(iso) {
    try { return iso ? clock.format(new Date(iso)) : ""; } catch (error) { return ""; }
  }

  window.DoorOffline = { start, decideScan, decidePick, undo, search, seen, flush, time, device,
    noteReached, noteOffline, noteExpired, get isOffline() { return state.offline; },
    get hasEnded() { return state.ended; } };
})();
