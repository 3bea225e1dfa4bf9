/* The guest's scan page: read someone's QR with the camera, open their card form in place,
 * and save it with one tap through the cards API. Without this file the page still works, as
 * plain forms.
 *
 * Online, the card form comes from the server: the page's "type their code" form is fetched as a
 * fragment (the same markup an htmx request gets) and put in the card slot. This file fetches it
 * itself, rather than through htmx, to give up after 2.5 s: with no answer (or no network) the
 * phone names the code from the room list kept on it (window.CheckinCards, cards-offline.js) and
 * opens the card form from the page's <template>. A card saved with no answer in 2.5 s, or in an
 * ended session, is kept in the outbox under the same nonce, so it is recorded once whichever copy
 * reaches the server first, and the page says it is saved on this phone and how many wait. */
(() => {
  "use strict";

  const PROBLEM_MS = 2500; // how long a "not a ticket here" answer pauses the camera
  const ANSWER_MS = 2500; // no answer by then: treat it as offline
  const MESSAGES = {
    ready: "Point the camera at someone\u2019s QR code.",
    starting: "Starting the camera\u2026",
    unsupported: "This browser can\u2019t use the camera here. Type their ticket code, or find them by name.",
    none: "No camera found. Type their ticket code, or find them by name.",
    blocked: "Camera blocked. Allow the camera for this page in the browser\u2019s settings, or find them by name.",
    decoder: "The QR reader didn\u2019t load. Reload the page, or find them by name.",
    offline: "No connection. Check the Wi-Fi or mobile data and tap Save again: it won\u2019t be saved twice.",
    failed: "That didn\u2019t save. Tap Save again.",
    notTicket: "That QR code is not a ticket for this event.",
    unknown: "No connection, and this phone can name only people who are checked in and findable here. Scan this code again when you\u2019re back online.",
    noList: "No connection, and the room list isn\u2019t on this phone yet. Scan again when you\u2019re back online.",
    signedOut: "Your session has ended. Open your personal link again, then scan again.",
  };

  const el = {};
  const state = { paused: false, timer: 0 };

  function init() {
    for (const id of ["scanner", "camera", "camera-status", "card-slot", "scan-code", "code",
      "offline-card", "offline-saved"]) {
      el[id] = document.getElementById(id);
    }
    if (!el.scanner) return;
    document.addEventListener("submit", onSubmit, true);
    document.addEventListener("click", onClick);
    window.addEventListener("outbox:change", showWaiting);
    new MutationObserver(onSlotChange).observe(el["card-slot"], { childList: true, subtree: true });
    if (!window.QrCamera) return;
    window.QrCamera.start({
      scanner: el.scanner,
      video: el.camera,
      paused: () => state.paused,
      onCode: onSighting,
      onStarting: () => status(MESSAGES.starting),
      onReady: () => status(MESSAGES.ready),
      onFail: (reason) => status(MESSAGES[reason] || MESSAGES.none, true),
    });
  }

  function status(text, isError) {
    el["camera-status"].textContent = text;
    el["camera-status"].classList.toggle("is-error", Boolean(isError));
  }

  /* ---- A code seen or typed: the server's card form, or the phone's own when offline. ---- */

  function onSighting(text) {
    state.paused = true;
    el.code.value = text;
    el["scan-code"].requestSubmit();
  }

  async function lookUp(text) {
    state.paused = true;
    const url = new URL(el["scan-code"].action, location.href);
    url.searchParams.set("code", text);
    let reply;
    let html;
    try {
      [reply, html] = await answerOf(url, { headers: { "HX-Request": "true" }, cache: "no-store" });
    } catch (error) {
      return lookUpHere(text);
    }
    const redirect = reply.headers.get("HX-Redirect") || (reply.redirected && reply.url);
    if (redirect) {
      location.assign(redirect);
    } else if (reply.ok || reply.status === 422) {
      el["card-slot"].innerHTML = html; // our own server's fragment, as htmx would swap it
      if (window.htmx) window.htmx.process(el["card-slot"]);
    } else {
      lookUpHere(text); // signed out (404) or a server in trouble: the phone can still record
    }
  }

  /** fetch() that gives up after ANSWER_MS, body included; resolves [response, text]. */
  async function answerOf(url, options) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ANSWER_MS);
    try {
      const reply = await fetch(url, { credentials: "same-origin", ...options, signal: controller.signal });
      return [reply, await reply.text()];
    } finally {
      clearTimeout(timer);
    }
  }

  async function lookUpHere(text) {
    const cards = window.CheckinCards;
    const found = cards ? await cards.lookup(text) : { status: "no-list" };
    if (found.status === "found") return showOfflineForm(found.person);
    if (found.status === "met") {
      return showProblem(`${cards.label(found.person)} is already on your cards. Scan someone else.`);
    }
    showProblem({ "not-ticket": MESSAGES.notTicket, unknown: MESSAGES.unknown }[found.status] || MESSAGES.noList);
  }

  function showProblem(text) {
    const shown = document.createElement("p");
    shown.className = "notice bad scan-problem";
    shown.setAttribute("role", "alert");
    shown.textContent = text;
    el["card-slot"].replaceChildren(shown);
  }

  function showOfflineForm(person) {
    const form = el["offline-card"].content.firstElementChild.cloneNode(true);
    form.querySelector(".card-name").textContent = window.CheckinCards.label(person);
    form.person = person; // whom it is for, as the room list named them
    el["card-slot"].replaceChildren(form);
  }

  function onSlotChange() {
    const slot = el["card-slot"];
    const form = slot.querySelector("form[data-api], form[data-offline]");
    document.body.classList.toggle("has-card", Boolean(form || slot.querySelector(".saved-offline")));
    clearTimeout(state.timer);
    if (form) {
      state.paused = true;
      if (form.dataset.ready) return; // a change inside it (an error shown): same card, same nonce
      form.dataset.ready = "1";
      form.elements.nonce.value = freshNonce(); // one per card: a retried Save records once
      form.scrollIntoView({ block: "start" });
      return;
    }
    if (slot.querySelector(".scan-problem")) {
      state.timer = setTimeout(() => { state.paused = false; }, PROBLEM_MS);
    }
  }

  function onClick(event) {
    if (!event.target.closest("[data-rescan]")) return;
    el["card-slot"].replaceChildren();
    el.code.value = "";
    state.paused = false;
    el.scanner.scrollIntoView({ block: "start" });
  }

  /* ---- Save: one tap, through the cards API, or onto this phone. ---- */

  function onSubmit(event) {
    const form = event.target;
    if (form === el["scan-code"]) {
      event.preventDefault();
      event.stopPropagation();
      if (el.code.value.trim()) lookUp(el.code.value.trim());
    } else if (form.matches("form[data-api]")) {
      event.preventDefault();
      save(form);
    } else if (form.matches("form[data-offline]")) {
      event.preventDefault();
      keep(form, form.person);
    }
  }

  function cardOf(form) {
    return {
      note: form.elements.note.value,
      tags: Array.from(form.querySelectorAll("input[name=tags]:checked"), (input) => input.value),
      starred: form.elements.starred.checked,
      nonce: form.elements.nonce.value,
    };
  }

  async function save(form) {
    const button = form.querySelector("button[type=submit]");
    const shown = form.querySelector("#card-error");
    button.disabled = true;
    shown.hidden = true;
    const body = { code: form.dataset.code, ...cardOf(form), via: "scan" };
    let reply;
    let answer = {};
    try {
      let text;
      [reply, text] = await answerOf(form.dataset.api, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      });
      answer = JSON.parse(text || "{}");
    } catch (error) {
      reply = reply || null; // no answer in time, or no network
    }
    if (reply && reply.ok && answer.id) {
      location.assign(`${form.dataset.cards}/${answer.id}`);
      return;
    }
    // No answer, no session (or not its token), or a server in trouble: keep it on the phone.
    const offline = !reply || [400, 401, 403].includes(reply.status) || reply.status >= 500;
    const person = offline && window.CheckinCards && window.CheckinCards.person(Number(form.dataset.guest));
    if (person) {
      keep(form, person);
      return;
    }
    const why = !reply ? MESSAGES.offline : reply.status === 401 ? MESSAGES.signedOut : answer.error;
    problem(shown, why || MESSAGES.failed);
    button.disabled = false;
  }

  async function keep(form, person) {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const waiting = await window.CheckinCards.queue(cardOf(form), person);
      showSaved(person, waiting);
    } catch (error) {
      problem(form.querySelector(".card-error"), MESSAGES.failed);
      button.disabled = false;
    }
  }

  function showSaved(person, waiting) {
    const panel = el["offline-saved"].content.firstElementChild.cloneNode(true);
    panel.querySelector("[data-name]").textContent = window.CheckinCards.label(person);
    panel.querySelector("[data-waiting]").textContent = String(waiting);
    el["card-slot"].replaceChildren(panel);
    panel.scrollIntoView({ block: "start" });
  }

  async function showWaiting() {
    const shown = el["card-slot"].querySelector(".saved-offline [data-waiting]");
    if (shown && window.CheckinCards) shown.textContent = String(await window.CheckinCards.count());
  }

  function problem(shown, text) {
    shown.textContent = text; // the server's words, as text: never markup
    shown.hidden = false;
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function freshNonce() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
