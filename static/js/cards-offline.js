/* The room pages' offline part: cards saved on this phone while the server could not be
 * reached, and everything needed to record them with no signal.
 *
 * - The bar (#outbox-bar, in the room layout) says how many cards wait and offers
 *   "Sync now (N waiting)". Waiting cards are sent on load, on `online`, on focus, every 30 s
 *   and from that button, through window.CheckinOutbox (static/js/outbox.js), in the scope
 *   "cards:<event slug>:<guest id>": a page only ever lists and sends its own guest's cards.
 * - Each queued card names its author (author_id); the server refuses it (409) in anyone else's
 *   session, so a card can never land on the wrong person's list.
 * - An ended session never loses a card: 401 keeps them all and says "Open your personal link
 *   again to send N saved cards", with the way to get the link emailed; after signing in again
 *   they go out from whichever room page opens. A token refusal (400/403: a page kept offline
 *   holding an older CSRF token) fetches the session's token from /me and tries once more.
 * - A card the server refuses for good (say the person left the room list meanwhile) is not lost:
 *   the bar lists it with its note until the person dismisses it.
 * - The room list: findable, checked-in people of this event with the SHA-256 of their ticket
 *   code (never the code), kept in localStorage under this guest and refreshed while online, so
 *   a QR scanned offline is named without a server (window.CheckinCards.lookup).
 * - Another guest signing in on this browser (or signing out) makes the service worker forget
 *   the pages it kept for offline use, and drops other guests' room lists; their queued cards
 *   stay in the outbox, under their own scope, until they sign in here again.
 * Trust no `navigator.onLine`: a fetch that fails or takes too long means offline. */
(() => {
  "use strict";

  const SYNC_EVERY_MS = 30000;
  const SEND_TIMEOUT_MS = 8000; // a background send may take its time; the Save tap waits 2.5 s
  const LIST_FRESH_MS = 60000;
  const WHO_KEY = "checkin:guest";
  const LIST_PREFIX = "checkin:people:";

  const bar = document.getElementById("outbox-bar");
  if (!bar || !window.CheckinOutbox) return;
  const outbox = window.CheckinOutbox;
  const data = bar.dataset;
  const me = Number(data.guest);
  const scope = `cards:${data.slug}:${me}`;
  const listKey = `${LIST_PREFIX}${data.slug}:${me}`;
  const state = { token: "", signedOut: false, otherSession: false, syncing: false, sent: 0, timer: 0 };
  const el = {
    text: bar.querySelector("[data-text]"),
    sync: bar.querySelector("[data-sync]"),
    again: bar.querySelector("[data-again]"),
    refused: bar.querySelector("[data-refused]"),
  };

  /* ---- Who is signed in on this browser: forget what another guest left behind. ---- */

  function notePerson() {
    const who = `${data.slug}:${me}`;
    let before = null;
    try {
      before = localStorage.getItem(WHO_KEY);
      localStorage.setItem(WHO_KEY, who);
    } catch (error) { /* storage refused: nothing kept, nothing to forget */ }
    if (before === who) return;
    forgetPages(true);
    forgetLists(listKey);
  }

  /** Ask the service worker to drop the pages it kept offline (pwa.js), then keep this one. */
  function forgetPages(keepThis) {
    const worker = navigator.serviceWorker;
    if (!worker || !window.CheckinPwa) return;
    window.CheckinPwa.forgetPages()
      .then(() => worker.ready)
      .then((registration) => {
        // This page is the new guest's own: kept again (messages reach the worker in order).
        if (keepThis && registration.active) {
          registration.active.postMessage({ type: "KEEP_PAGE", url: location.href });
        }
      })
      .catch(() => {});
  }

  function forgetLists(keep) {
    try {
      for (let i = localStorage.length - 1; i >= 0; i -= 1) {
        const key = localStorage.key(i);
        if (key && key.startsWith(LIST_PREFIX) && key !== keep) localStorage.removeItem(key);
      }
    } catch (error) { /* nothing stored */ }
  }

  function onSignOut(event) {
    // pwa.js makes the worker forget kept pages (data-forget-pages); the room list goes here.
    if (!event.target.matches("form[data-sign-out]")) return;
    forgetLists(null);
    try { localStorage.removeItem(WHO_KEY); } catch (error) { /* nothing stored */ }
  }

  /* ---- The room list, for naming a QR offline. ---- */

  function readList() {
    try {
      return JSON.parse(localStorage.getItem(listKey) || "null");
    } catch (error) {
      return null;
    }
  }

  function writeList(list) {
    try { localStorage.setItem(listKey, JSON.stringify(list)); } catch (error) { /* full */ }
  }

  async function refreshList(force) {
    const kept = readList();
    if (!force && kept && Date.now() - kept.at < LIST_FRESH_MS) return;
    try {
      const reply = await timed(fetch(data.people, { cache: "no-store", credentials: "same-origin" }), SEND_TIMEOUT_MS);
      if (!reply.ok) return;
      const answer = await reply.json();
      const waiting = new Set((await outbox.list(scope)).map((item) => item.body.attendee_id));
      for (const person of answer.people) if (waiting.has(person.id)) person.met = true;
      writeList({ at: Date.now(), people: answer.people });
    } catch (error) { /* offline: keep the list we have */ }
  }

  /** Who a scanned text names, from the room list kept on this phone. */
  async function lookup(text) {
    const code = outbox.ticketCode(text);
    if (!code) return { status: "not-ticket" };
    const list = readList();
    if (!list) return { status: "no-list" };
    const hash = await outbox.sha256(code);
    const person = list.people.find((p) => p.code_hash === hash);
    if (!person) return { status: "unknown" };
    return { status: person.met ? "met" : "found", person };
  }

  function person(id) {
    const list = readList();
    return (list && list.people.find((p) => p.id === id)) || null;
  }

  function markMet(id) {
    const list = readList();
    const found = list && list.people.find((p) => p.id === id);
    if (!found) return;
    found.met = true;
    writeList(list);
  }

  /* ---- Queueing and sending. ---- */

  /** Keep a card on this phone; resolves with how many now wait. */
  async function queue(card, who) {
    const body = {
      attendee_id: who.id,
      note: card.note,
      tags: card.tags,
      starred: card.starred,
      nonce: card.nonce,
      via: "scan",
      author_id: me,
    };
    await outbox.add({ nonce: card.nonce, kind: "card", scope, url: data.cards, body, label: label(who) });
    markMet(who.id);
    show();
    askForSync();
    return outbox.count(scope);
  }

  /** Background Sync, where the browser has it: the worker asks open pages to flush. */
  function askForSync() {
    if (!navigator.serviceWorker) return;
    navigator.serviceWorker.ready
      .then((registration) => registration.sync && registration.sync.register("checkin-outbox"))
      .catch(() => {});
  }

  function label(who) {
    const year = who.class_year ? ` \u2019${String(who.class_year % 100).padStart(2, "0")}` : "";
    return who.name + year;
  }

  function token() {
    if (state.token) return state.token;
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function timed(promise, ms) {
    return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);
  }

  async function post(item) {
    return timed(fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token() },
      body: JSON.stringify(item.body),
    }), SEND_TIMEOUT_MS);
  }

  /** The session's own CSRF token, when the page's is older than the session. */
  async function renewToken() {
    const reply = await timed(fetch(data.me, { cache: "no-store", credentials: "same-origin" }), SEND_TIMEOUT_MS);
    if (reply.status === 401) return "signed-out";
    if (!reply.ok) return "keep";
    const answer = await reply.json();
    if (answer.id !== me) return "other";
    state.token = answer.csrf_token;
    return "renewed";
  }

  async function send(item) {
    let reply = await post(item);
    if (reply.status === 400 || reply.status === 403) { // the page's CSRF token is not the session's
      const renewed = await renewToken();
      if (renewed === "signed-out") reply = { status: 401 };
      else if (renewed === "other") reply = { status: 409 };
      else if (renewed === "renewed") reply = await post(item);
      else return "keep";
    }
    if (reply.ok) {
      state.sent += 1;
      return "sent";
    }
    if (reply.status === 401) state.signedOut = true;
    if (reply.status === 409) state.otherSession = true;
    if ([400, 404, 422].includes(reply.status)) {
      const answer = await reply.json().catch(() => ({}));
      return { verdict: "drop", reason: answer.error || "The server refused this card." };
    }
    return "keep"; // offline, 401, 403, 409, 429, 5xx: it waits
  }

  async function flush() {
    if (state.syncing) return;
    if (!(await outbox.count(scope))) return;
    state.syncing = true;
    state.signedOut = false;
    state.otherSession = false;
    state.sent = 0;
    show();
    try {
      await outbox.flush(scope, send);
    } catch (error) { /* storage trouble: the items stay where they are */ }
    state.syncing = false;
    await show();
    if (state.sent) refreshList(true);
  }

  /* ---- What the bar says. ---- */

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  async function show() {
    const [waiting, refused] = await Promise.all([outbox.count(scope), outbox.dropped(scope)]);
    showRefused(refused);
    const sentNow = !state.syncing && state.sent > 0 && waiting === 0;
    bar.hidden = !waiting && !refused.length && !sentNow;
    el.sync.hidden = !waiting;
    el.sync.disabled = state.syncing;
    el.sync.textContent = state.syncing ? "Sending\u2026" : `Sync now (${waiting} waiting)`;
    el.again.hidden = !(waiting && state.signedOut);
    bar.classList.toggle("is-stuck", Boolean(waiting && (state.signedOut || state.otherSession)));
    const cards = plural(waiting, "saved card", "saved cards");
    const they = waiting === 1 ? "It stays" : "They stay";
    if (waiting && state.signedOut) {
      el.text.textContent = `Open your personal link again to send ${cards}. ${they} on this phone until then.`;
    } else if (waiting && state.otherSession) {
      el.text.textContent = `Someone else is signed in on this phone: your ${cards} wait until you sign in here again.`;
    } else if (waiting) {
      const go = waiting === 1 ? "It goes" : "They go";
      el.text.textContent = `${plural(waiting, "card", "cards")} saved on this phone, not sent yet. ${go} out when you\u2019re back online.`;
    } else if (sentNow) {
      el.text.textContent = `Sent: ${plural(state.sent, "card", "cards")} saved on this phone.`;
    } else {
      el.text.textContent = "";
    }
    return waiting;
  }

  function showRefused(items) {
    el.refused.replaceChildren(...items.map((item) => {
      const row = document.createElement("li");
      const what = document.createElement("p");
      what.textContent = `Not recorded: your card for ${item.label || "someone"}. ${item.reason}`;
      row.append(what);
      if (item.body && item.body.note) {
        const note = document.createElement("p");
        note.className = "note";
        note.textContent = `Your note: ${item.body.note}`;
        row.append(note);
      }
      const dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "button";
      dismiss.dataset.dismiss = item.nonce;
      dismiss.textContent = "Dismiss";
      row.append(dismiss);
      return row;
    }));
    el.refused.hidden = !items.length;
  }

  function onClick(event) {
    if (event.target.closest("[data-sync]")) flush();
    const dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) outbox.dismiss(dismiss.dataset.dismiss);
  }

  function init() {
    notePerson();
    bar.addEventListener("click", onClick);
    document.addEventListener("submit", onSignOut, true);
    window.addEventListener("outbox:change", (event) => {
      if (!event.detail || event.detail.scope === scope) show();
    });
    window.addEventListener("online", flush);
    if (navigator.serviceWorker) {
      navigator.serviceWorker.addEventListener("message", (event) => {
        if (event.data && event.data.type === "OUTBOX_FLUSH") flush();
      });
    }
    window.addEventListener("focus", flush);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) flush(); });
    state.timer = setInterval(() => {
      flush();
      refreshList(false); // people keep checking in: the list follows while online
    }, SYNC_EVERY_MS);
    show().then(flush);
    refreshList(false);
  }

  window.CheckinCards = { scope, lookup, person, queue, flush, count: () => outbox.count(scope), label };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
