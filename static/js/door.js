/* The door page: scan QR codes with the camera, show each answer full screen with a beep and a
 * buzz, then go back to scanning. Every check-in path (camera, keyboard-wedge scanner, typing)
 * goes through the same server-rendered scan form; this file only drives it. It watches the DOM
 * for results rather than listening to htmx events, so it keeps working across htmx versions. */
(() => {
  "use strict";

  const RETURN_MS = 2000; // rapid mode: back to the camera after this long
  const NO_ANSWER_MS = 4000;
  const TONES = {
    admitted: [[880, 0.09], [1320, 0.16]],
    already_admitted: [[660, 0.12], [0, 0.08], [660, 0.12]],
    revoked: [[440, 0.12], [0, 0.08], [440, 0.12]],
    unknown: [[180, 0.4]],
    undone: [[520, 0.12]],
  };
  const NO_CAMERA = {
    unsupported: "This browser can't use the camera here. Type the code or find the guest by name.",
    none: "No camera found. Type the code or find the guest by name below.",
    blocked: "Camera blocked. Allow the camera for this page in the browser's settings, or type the code below.",
    decoder: "The QR reader didn't load. Reload the page, or type the code below.",
  };
  const BUZZ = {
    admitted: [60],
    already_admitted: [80, 60, 80],
    revoked: [80, 60, 80],
    unknown: [250, 100, 250],
    undone: [40],
  };

  const el = {};
  const state = { paused: false, timer: 0, watchdog: 0, pending: null };
  let audio = null;

  function init() {
    for (const id of ["scanner", "camera", "torch", "sound", "camera-status", "door-alert",
      "scan-form", "code", "q"]) {
      el[id] = document.getElementById(id);
    }
    if (!el["scan-form"]) return;
    document.addEventListener("submit", onSubmit, true);
    document.addEventListener("click", onClick);
    document.addEventListener("pointerdown", onPointerDown, true);
    document.addEventListener("keydown", onKeyDown, true);
    new MutationObserver(onMutations).observe(document.body, { childList: true, subtree: true });
    const shown = document.querySelector("#result .result");
    if (shown) showResult(shown);
    startCamera();
  }

  /* ---- Forms: a fresh nonce per scan, and a watchdog for answers that never come. ---- */

  function onSubmit(event) {
    const form = event.target;
    if (form === el["scan-form"]) {
      form.elements.nonce.value = freshNonce();
      state.pending = { value: el.code.value, focused: document.activeElement === el.code };
    }
    if (form.hasAttribute("hx-post")) {
      clearTimeout(state.watchdog);
      state.watchdog = setTimeout(noAnswer, NO_ANSWER_MS);
    }
  }

  async function noAnswer() {
    // No result came back: ask the server why, so the volunteer knows what to do next.
    let text = "That didn't go through. Try again, or reload the page.";
    try {
      const reply = await fetch(el.scanner.dataset.ping, { cache: "no-store" });
      if (reply.status === 401) {
        text = "This door link has expired or was revoked. Ask the organizer for a new one.";
      }
    } catch (error) {
      text = "No connection to the server. Check the Wi-Fi or mobile data, then try again.";
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
      for (const node of record.addedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        const result = node.matches(".result") ? node : node.querySelector(".result");
        if (result && result.closest("#result")) onResult(result);
      }
    }
  }

  function onResult(result) {
    clearTimeout(state.watchdog);
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
