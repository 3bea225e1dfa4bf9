/* The phone's rear camera reading QR codes, for every page that scans (the door, the room).
 * It uses the browser's BarcodeDetector when it reads QR codes, else the vendored zxing-wasm
 * ponyfill, both served from this site. The page gives it a section with data-decoder and
 * data-wasm, a <video> inside a .viewfinder, and callbacks; it shows the video once live and
 * hides it again when the camera cannot be used, saying why through onFail(reason):
 * "unsupported", "none", "blocked" or "decoder". onCode(text) hears each code once while it
 * stays in sight, so a QR held up in front of the camera counts once. */
(() => {
  "use strict";

  const SCAN_EVERY_MS = 100;
  const SAME_CODE_MS = 3000; // a code is ignored until it has been out of sight this long

  async function start(options) {
    const { scanner, video } = options;
    const fail = (reason) => stop(options, reason);
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return fail("unsupported");
    if (!(await hasCamera())) return fail("none");
    if (options.onStarting) options.onStarting();
    const detector = loadDetector(scanner); // fetched while the camera starts (or asks permission)
    detector.catch(() => {}); // handled below, once the camera is known to work
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    } catch (error) {
      return fail(error && error.name === "NotAllowedError" ? "blocked" : "none");
    }
    video.srcObject = stream;
    video.closest(".viewfinder").hidden = false;
    scanner.classList.add("is-live");
    try { await video.play(); } catch (error) { /* autoplay of a muted video is allowed */ }
    if (options.onLive) options.onLive(stream.getVideoTracks()[0]);
    try {
      watch(await detector, options);
    } catch (error) {
      return fail("decoder");
    }
    if (options.onReady) options.onReady();
  }

  function stop({ scanner, video, onFail }, reason) {
    const stream = video && video.srcObject;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    const viewfinder = video && video.closest(".viewfinder");
    if (viewfinder) viewfinder.hidden = true;
    scanner.classList.remove("is-live");
    if (onFail) onFail(reason);
  }

  async function hasCamera() {
    if (!navigator.mediaDevices.enumerateDevices) return true;
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => null);
    return !devices || devices.some((device) => device.kind === "videoinput");
  }

  async function loadDetector(scanner) {
    if ("BarcodeDetector" in window) {
      const formats = await window.BarcodeDetector.getSupportedFormats().catch(() => []);
      if (formats.includes("qr_code")) return new window.BarcodeDetector({ formats: ["qr_code"] });
    }
    await loadScript(scanner.dataset.decoder);
    const api = window.BarcodeDetectionAPI;
    const wasm = new URL(scanner.dataset.wasm, location.href).href;
    await api.prepareZXingModule({
      overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasm : prefix + path) },
      fireImmediately: true,
    });
    return new api.BarcodeDetector({ formats: ["qr_code"] });
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.append(script);
    });
  }

  function watch(detector, { video, paused, onCode }) {
    const last = { text: "", at: 0 };
    const sighted = (text) => {
      const now = Date.now();
      const again = text === last.text && now - last.at < SAME_CODE_MS;
      last.text = text;
      last.at = now;
      if (!again) onCode(text);
    };
    const tick = async () => {
      if (!(paused && paused()) && !document.hidden && video.readyState >= 2) {
        try {
          const codes = await detector.detect(video);
          if (codes.length && codes[0].rawValue) sighted(codes[0].rawValue);
        } catch (error) { /* a frame it could not read: try the next one */ }
      }
      setTimeout(tick, SCAN_EVERY_MS);
    };
    tick();
  }

  window.QrCamera = { start };
})();
