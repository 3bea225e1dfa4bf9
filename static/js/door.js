/* The door page: scan QR codes with the camera, show each answer full screen with a beep and a
 * buzz, then go back to scanning. Every check-in path (camera, keyboard-wedge scanner, typing)
 * goes through the same server-rendered scan form; this file only drives it. It watches the DOM
 * for results rather than listening to htmx events, so it keeps working across htmx versions.
 *
 * Offline: a scan (and a "Check in" picked from the search) is sent by this file itself, not by
 * htmx, so it can wait SERVER_MS at most. With no usable answer by then (no connection, a timeout,
 * a server error) door-offline.js decides on the phone from the saved guest list and queues the
 * scan with the same nonce; the result looks the same, marked "Offline". An expired or revoked
 * pass is an answer, not an outage: the phone says so and decides nothing (scans it queued before
 * are kept for the next pass); once door-offline.js knows the pass is over ("door:ended": the
 * server said so, or its expiry time passed), it deletes the saved list and a scan that gets no
 * answer is not decided either. Search
 * falls back to the saved list when the server has not answered within SEARCH_MS. */
(() => {
  "use strict";

  const ENDED = "This door link has expired or was revoked. Ask the organizer for a new one.";
  const RETURN_MS = 2000; // rapid mode: back to the camera after this long
  const NO_ANSWER_MS = 4000;
  const SERVER_MS = 2500; // no answer by then: decide on the phone
  const SEARCH_MS = 1200; // no search results by then: search the saved list
  const TONES = {
    admitted: [[880, 0.09], [1320, 0.16]],
    already_admitted: [[660, 0.12], [0, 0.08], [660, 0.12]],
    revoked: [[440, 0.12], [0, 0.08], [440, 0.12]],
    cancelled: [[440, 0.12], [0, 0.08], [440, 0.12]],
    unknown: [[180, 0.4]],
    undone: [[520, 0.12]],
  };
  const NO_CAMERA = {
    unsupported: "This browser can't use the camera here. Type the code or find the guest by name.",
    none: "No camera found. Type the code or find the guest by name below.",
    blocked: "Camera blocked. Allow the camera for this page in the browser's settings, or type the code below.",
    decoder: "The QR reader didn't load. Reload the page, or type the code below.",
  };
  // What a keyboard-wedge scanner types: a ticket URL (…/t/CODE), maybe after what the field
  // held already, or a bare 32-character code.
  const TICKET = /(?:https?:\/\/\S*\/t\/[A-Z2-7]{32}|^[A-Z2-7]{32})\/?$/i;
  const BUZZ = {
    admitted: [60],
    already_admitted: [80, 60, 80],
    revoked: [80, 60, 80],
    cancelled: [80, 60, 80],
    unknown: [250, 100, 250],
    undone: [40],
  };

  const el = {};
  const state = { paused: false, timer: 0, watchdog: 0, pending: null, form: null, search: 0,
    swaps: 0 };
  const offline = window.DoorOffline;
  let audio = null;

  function init() {
    for (const id of ["scanner", "camera", "torch", "sound", "camera-status", "door-alert",
      "scan-form", "code", "q", "result", "results", "sync", "offline-result"]) {
      el[id] = document.getElementById(id);
    }
    if (!el["scan-form"]) return;
    document.addEventListener("submit", onSubmit, true);
    document.addEventListener("click", onClick);
    document.addEventListener("pointerdown", onPointerDown, true);
    document.addEventListener("keydown", onKeyDown, true);
    new MutationObserver(onMutations).observe(document.body, { childList: true, subtree: true });
    if (el.q) {
      el.q.addEventListener("input", onSearchInput);
      el.q.addEventListener("search", onSearchInput);
    }
    const shown = document.querySelector("#result .result");
    if (shown) showResult(shown);
    window.addEventListener("door:ended", () => alertText(ENDED));
    if (offline && window.CheckinOutbox && el.sync) offline.start(el.sync);
    startCamera();
  }

  /* ---- Forms: a fresh nonce per scan, and a watchdog for answers that never come. ---- */

  function onSubmit(event) {
    const form = event.target;
    const takeOver = offline && window.CheckinOutbox && (form === el["scan-form"] || form.dataset.pick);
    if (takeOver) {
      event.preventDefault();
      event.stopImmediatePropagation(); // this file sends it, not htmx
    }
    if (form === el["scan-form"]) {
      form.elements.nonce.value = freshNonce();
      state.pending = { value: el.code.value, focused: document.activeElement === el.code };
    }
    if (takeOver) {
      checkIn(form);
    } else if (form.hasAttribute("hx-post")) {
      state.form = form;
      clearTimeout(state.watchdog);
      state.watchdog = setTimeout(noAnswer, NO_ANSWER_MS);
    }
  }

  /** Send a check-in form; show the server's answer, or decide on the phone without one. */
  async function checkIn(form) {
    const scannedAt = new Date().toISOString();
    const nonce = form.elements.nonce.value;
    const text = form === el["scan-form"] ? el.code.value : "";
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), SERVER_MS);
    let reply = null;
    let html = null;
    try {
      reply = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "HX-Request": "true", "X-Door-Device": offline.device() },
        signal: abort.signal,
      });
      if (reply.ok || reply.status === 422) html = await reply.text(); // within SERVER_MS too
    } catch (error) {
      reply = null;
      offline.noteOffline();
    } finally {
      clearTimeout(timer);
    }
    const status = reply ? reply.status : 0;
    if (html !== null) {
      offline.noteReached();
      return showServerAnswer(html);
    } else if (status === 401 || status === 403 || offline.hasEnded) {
      // An answer, not an outage: this pass no longer works here, so nothing is decided.
      if (reply) offline.noteExpired(reply);
      state.pending = null; // the code stays in the field
      return alertText(ENDED);
    } else if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      offline.noteReached(); // the server refused this form (a 404, say): say so, decide nothing
      return alertText("That didn't go through. Reload the page and try again.");
    }
    if (form.dataset.pick) form.elements.nonce.value = freshNonce(); // the used one is queued now
    const answer = form.dataset.pick
      ? await offline.decidePick(form.dataset.pick, nonce, scannedAt)
      : await offline.decideScan(text, nonce, scannedAt);
    el.result.replaceChildren(offlineResult(answer, nonce));
  }

  function showServerAnswer(html) {
    el.result.innerHTML = html;
    if (window.htmx) window.htmx.process(el.result); // the Undo form in the answer
  }

  /** The full-screen answer for a decision made on the phone, marked "Offline". */
  function offlineResult(answer, nonce) {
    const result = el["offline-result"].content.firstElementChild.cloneNode(true);
    const who = answer.person;
    const name = who ? who.name + (who.class_year ? " ’" + String(who.class_year % 100).padStart(2, "0") : "") : "";
    result.classList.add("result-" + answer.result);
    result.dataset.result = answer.result;
    result.dataset.nonce = nonce;
    result.querySelector(".result-icon").textContent =
      { admitted: "✓", already_admitted: "!" }[answer.result] || "✕";
    const parts = [];
    if (answer.result === "admitted") {
      parts.push(node("h2", "result-title", "Welcome, ", node("span", "result-name", name)));
      result.querySelector("[data-offline-undo]").hidden = false;
    } else if (answer.result === "already_admitted") {
      const when = offline.time(answer.at);
      const detail = (when ? "at " + when : "earlier") + (answer.here ? " on this phone" : "");
      parts.push(node("h2", "result-title", "Already checked in ", node("span", "result-detail", detail)));
      parts.push(node("p", "result-name", name));
    } else if (answer.noList) {
      parts.push(node("h2", "result-title", "Can't check this ticket"));
      parts.push(node("p", "result-detail", "No guest list is saved on this phone yet. The scan is "
        + "kept and will be checked when the connection is back."));
    } else {
      parts.push(node("h2", "result-title", "Not on the list"));
      parts.push(node("p", "result-detail", "Not on the guest list saved on this phone. Find them "
        + "by name, or register a walk-in when the connection is back."));
    }
    result.querySelector(".result-offline").after(...parts);
    return result;
  }

  function node(tag, className, ...children) {
    const made = document.createElement(tag);
    made.className = className;
    made.append(...children);
    return made;
  }

  async function undoOffline(button) {
    const result = button.closest(".result");
    const taken = await offline.undo(result.dataset.nonce);
    const undone = el["offline-result"].content.firstElementChild.cloneNode(true);
    undone.classList.add("result-undone");
    undone.dataset.result = "undone";
    undone.querySelector(".result-icon").textContent = "↺";
    undone.querySelector(".result-offline").after(
      node("h2", "result-title", taken ? "Check-in undone" : "Already sent"),
      node("p", "result-detail", taken ? "Nothing about this scan will be sent."
        : "Undo it from the search when the connection is back."));
    el.result.replaceChildren(undone);
  }

  /* ---- Search: the server's results, or the saved list when the server is slow or gone. ---- */

  function onSearchInput() {
    clearTimeout(state.search);
    const query = el.q.value;
    if (!offline || !query.trim()) return;
    const swaps = state.swaps;
    state.search = setTimeout(async () => {
      if (el.q.value !== query || state.swaps !== swaps) return; // the server answered
      showLocalResults(query, await offline.search(query));
    }, offline.isOffline ? 300 : SEARCH_MS);
  }

  function showLocalResults(query, people) {
    const parts = [];
    if (query.trim() && !people.length) {
      parts.push(node("p", "muted no-match", "No one on the saved list matches “" + query + "”."));
    }
    if (people.length) {
      parts.push(node("ul", "results", ...people.map((person) => localRow(person))));
      parts.push(node("p", "muted results-offline", "Offline: from the guest list saved on this phone."));
    }
    for (const part of parts) part.dataset.local = "1"; // not a server answer (onMutations)
    el.results.replaceChildren(...parts);
  }

  function localRow(person) {
    const year = person.class_year ? " ’" + String(person.class_year % 100).padStart(2, "0") : "";
    const about = node("p", "person", node("span", "person-name", person.name + year));
    if (person.in_at) about.append(node("span", "person-in", "In since " + offline.time(person.in_at)));
    const row = node("li", "", about);
    if (!person.in_at) {
      const form = document.createElement("form");
      form.method = "post";
      form.action = el.sync.dataset.door + "attendees/" + person.id + "/check-in";
      form.dataset.pick = String(person.id);
      const nonce = document.createElement("input");
      nonce.type = "hidden";
      nonce.name = "nonce";
      nonce.value = freshNonce();
      const csrf = document.createElement("input");
      csrf.type = "hidden";
      csrf.name = "csrf_token";
      csrf.value = document.querySelector('meta[name="csrf-token"]').content;
      const button = node("button", "button primary", "Check in");
      button.type = "submit";
      button.setAttribute("aria-label", "Check in " + person.name);
      form.append(csrf, nonce, button);
      row.append(form);
    }
    return row;
  }

  async function noAnswer() {
    // No result came back: ask the server why, so the volunteer knows what to do next.
    let text = "That didn't go through. Try again, or reload the page.";
    const walkIn = state.form && state.form.closest("#walk-in");
    try {
      const reply = await fetch(el.scanner.dataset.ping, { cache: "no-store" });
      if (reply.status === 401) {
        if (offline) offline.noteExpired(reply);
        text = ENDED;
      }
    } catch (error) {
      text = walkIn
        ? "Registering a walk-in needs a connection. Note their name and add them when it is back."
        : "No connection to the server. Check the Wi-Fi or mobile data, then try again.";
    }
    alertText(text);
  }

  function alertText(text) {
    if (!el["door-alert"]) return;
    el["door-alert"].textContent = text;
    el["door-alert"].hidden = !text;
  }

  function freshNonce() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  /* ---- Results: full screen, sound, vibration, then back to the camera. ---- */

  function onMutations(records) {
    for (const record of records) {
      if (record.target === el.results && !Array.from(record.addedNodes).some((n) => n.dataset
        && n.dataset.local)) state.swaps += 1;
      for (const node of record.addedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        const result = node.matches(".result") ? node : node.querySelector(".result");
        if (result && result.closest("#result")) onResult(result);
        if (node.id === "walk-in") focusFirstError(node);
      }
    }
  }

  function onResult(result) {
    clearTimeout(state.watchdog);
    if (result.dataset.guest && offline) offline.seen(result.dataset.guest, result.dataset.result);
    alertText("");
    cue(result.dataset.result);
    showResult(result);
    restoreCodeField();
    if (el.q && el.q.value.trim()) el.q.dispatchEvent(new Event("search")); // refresh the rows
  }

  function showResult(result) {
    result.classList.add("is-full");
    document.body.classList.add("showing-result");
    state.paused = true;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => collapse(result), RETURN_MS);
  }

  function collapse(result) {
    clearTimeout(state.timer);
    result.classList.remove("is-full");
    document.body.classList.remove("showing-result");
    state.paused = false;
  }

  function focusFirstError(form) {
    const invalid = form.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus(); // the walk-in came back with errors: start at the first
  }

  function restoreCodeField() {
    const pending = state.pending;
    state.pending = null;
    if (!pending) return;
    if (el.code.value === pending.value) el.code.value = "";
    if (pending.focused) el.code.focus();
  }

  function onClick(event) {
    const dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) collapse(dismiss.closest(".result"));
    const undo = event.target.closest("[data-offline-undo]");
    if (undo) undoOffline(undo);
    if (event.target === el.sound) el.sound.hidden = true;
  }

  function onPointerDown(event) {
    unlockAudio();
    const full = event.target.closest(".result.is-full");
    if (full && !event.target.closest("[data-dismiss]")) clearTimeout(state.timer); // reading it
  }

  function onKeyDown(event) {
    unlockAudio();
    const full = document.querySelector(".result.is-full");
    if (full && event.key === "Escape") collapse(full);
    if (event.key === "Enter" && scanTypedElsewhere(event.target)) event.preventDefault();
    else if (strayTyping(event)) el.code.focus(); // this key and the rest land in the code field
  }

  /** A scan typed into another field (search, walk-in) checks in, not searches or registers. */
  function scanTypedElsewhere(field) {
    const scanned = field !== el.code && field.matches("input") && field.value.trim().match(TICKET);
    if (!scanned) return false;
    el.code.value = scanned[0];
    field.value = "";
    field.dispatchEvent(new Event("input", { bubbles: true })); // the search rows follow
    el.code.focus();
    el["scan-form"].requestSubmit();
    return true;
  }

  /** A character typed with no field focused: a scanner, after a tap on a button. */
  function strayTyping(event) {
    if (event.key.length !== 1 || event.key === " ") return false;
    if (event.ctrlKey || event.metaKey || event.altKey) return false;
    const active = document.activeElement;
    return !active || !active.matches("input, textarea, select, [contenteditable]");
  }

  function cue(result) {
    const pattern = BUZZ[result] || BUZZ.unknown;
    const activated = !navigator.userActivation || navigator.userActivation.hasBeenActive;
    if (navigator.vibrate && activated) navigator.vibrate(pattern);
    beep(TONES[result] || TONES.unknown, result === "unknown" ? "square" : "sine");
  }

  function unlockAudio() {
    // Browsers only let a page make sound after a tap or key press on it.
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume();
    if (el.sound) el.sound.hidden = true;
  }

  function beep(tones, wave) {
    if (!audio || audio.state !== "running") return;
    let at = audio.currentTime + 0.01;
    for (const [hz, seconds] of tones) {
      if (hz) tone(hz, at, seconds, wave);
      at += seconds;
    }
  }

  function tone(hz, at, seconds, wave) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = wave;
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.35, at + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + seconds);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + seconds + 0.02);
  }

  /* ---- Camera: rear camera, QR decoding in the browser (qr-camera.js), no tap needed. ---- */

  function startCamera() {
    if (!window.QrCamera) return noCamera(NO_CAMERA.decoder);
    window.QrCamera.start({
      scanner: el.scanner,
      video: el.camera,
      paused: () => state.paused,
      onCode: onSighting,
      onStarting: () => status("Starting the camera…"),
      onLive: (track) => {
        if ((window.AudioContext || window.webkitAudioContext) && !audio) el.sound.hidden = false;
        offerTorch(track);
      },
      onReady: () => status("Point the camera at a ticket's QR code."),
      onFail: (reason) => noCamera(NO_CAMERA[reason] || NO_CAMERA.none),
    });
  }

  function noCamera(text) {
    status(text, true);
    const idle = !document.activeElement || document.activeElement === document.body;
    if (idle) el.code.focus(); // ready for typing, unless the volunteer is already elsewhere
  }

  function status(text, isError) {
    el["camera-status"].textContent = text;
    el["camera-status"].classList.toggle("is-error", Boolean(isError));
  }

  function onSighting(text) {
    // qr-camera.js reports a code once while it stays in sight: a ticket held up checks in once.
    el.code.value = text;
    el["scan-form"].requestSubmit();
  }

  function offerTorch(track) {
    const capabilities = track && track.getCapabilities ? track.getCapabilities() : {};
    if (!capabilities.torch) return;
    el.torch.hidden = false;
    el.torch.addEventListener("click", async () => {
      const on = el.torch.getAttribute("aria-pressed") !== "true";
      try {
        await track.applyConstraints({ advanced: [{ torch: on }] });
        el.torch.setAttribute("aria-pressed", String(on));
      } catch (error) { el.torch.hidden = true; }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
