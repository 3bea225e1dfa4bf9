/* The attendee's scan page: read someone's QR with the camera, open their card form in place
 * (the server renders it, through the page's own "type their code" form), and save it with one
 * tap through the cards API. The form also works without this file, as a plain form. It watches
 * the DOM for the card form rather than listening to htmx events, so it keeps working across
 * htmx versions. */
(() => {
  "use strict";

  const PROBLEM_MS = 2500; // how long a "not a ticket here" answer pauses the camera
  const MESSAGES = {
    ready: "Point the camera at someone\u2019s QR code.",
    starting: "Starting the camera\u2026",
    unsupported: "This browser can\u2019t use the camera here. Type their ticket code, or find them by name.",
    none: "No camera found. Type their ticket code, or find them by name.",
    blocked: "Camera blocked. Allow the camera for this page in the browser\u2019s settings, or find them by name.",
    decoder: "The QR reader didn\u2019t load. Reload the page, or find them by name.",
    offline: "No connection. Check the Wi-Fi or mobile data and tap Save again: it won\u2019t be saved twice.",
    failed: "That didn\u2019t save. Tap Save again.",
  };

  const el = {};
  const state = { paused: false, timer: 0 };

  function init() {
    for (const id of ["scanner", "camera", "camera-status", "card-slot", "scan-code", "code"]) {
      el[id] = document.getElementById(id);
    }
    if (!el.scanner || !window.QrCamera) return;
    document.addEventListener("submit", onSubmit, true);
    document.addEventListener("click", onClick);
    new MutationObserver(onSlotChange).observe(el["card-slot"], { childList: true, subtree: true });
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

  /* ---- A code seen: look the person up through the page's own form. ---- */

  function onSighting(text) {
    state.paused = true;
    el.code.value = text;
    el["scan-code"].requestSubmit();
  }

  function onSlotChange() {
    const form = el["card-slot"].querySelector("form[data-api]");
    document.body.classList.toggle("has-card", Boolean(form));
    clearTimeout(state.timer);
    if (form) {
      state.paused = true;
      if (form.dataset.ready) return; // a change inside it (an error shown): same card, same nonce
      form.dataset.ready = "1";
      form.elements.nonce.value = freshNonce(); // one per card: a retried Save records once
      form.scrollIntoView({ block: "start" });
      return;
    }
    if (el["card-slot"].querySelector(".scan-problem")) {
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

  /* ---- Save: one tap, through the cards API. ---- */

  function onSubmit(event) {
    const form = event.target;
    if (!form.matches("form[data-api]")) return;
    event.preventDefault();
    save(form);
  }

  async function save(form) {
    const button = form.querySelector("button[type=submit]");
    const shown = form.querySelector("#card-error");
    button.disabled = true;
    shown.hidden = true;
    const body = {
      code: form.dataset.code,
      note: form.elements.note.value,
      tags: Array.from(form.querySelectorAll("input[name=tags]:checked"), (input) => input.value),
      starred: form.elements.starred.checked,
      nonce: form.elements.nonce.value,
      via: "scan",
    };
    try {
      const reply = await fetch(form.dataset.api, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      });
      const answer = await reply.json().catch(() => ({}));
      if (reply.ok && answer.id) {
        location.assign(`${form.dataset.cards}/${answer.id}`);
        return;
      }
      problem(shown, answer.error || MESSAGES.failed);
    } catch (error) {
      problem(shown, MESSAGES.offline);
    }
    button.disabled = false;
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
