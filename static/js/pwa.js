/* Registers the service worker (root scope) and, when a new version of the app has installed and
   waits, offers "New version ready: reload": the click tells the new worker to take over, and the
   page reloads once it controls the page.

   window.CheckinPwa.forgetPages() asks the worker to drop the pages it keeps for offline use
   (X-Offline-Page); submitting a form marked data-forget-pages (sign-out) does it too.
   CheckinPwa.forgetPage(url) drops one of them (a door link whose pass ended). Queued offline
   items (outbox.js) are not touched: they are sent after the next sign-in or door pass. */
(() => {
  if (!("serviceWorker" in navigator)) return;

  function tell(message) {
    const worker = navigator.serviceWorker.controller;
    if (worker) worker.postMessage(message);
    return navigator.serviceWorker.ready.then((registration) => {
      if (registration.active && registration.active !== worker) {
        registration.active.postMessage(message);
      }
    });
  }
  const forgetPages = () => tell({ type: "FORGET_PAGES" });
  const forgetPage = (url) => tell({ type: "FORGET_PAGE", url: new URL(url, location.href).href });
  window.CheckinPwa = { forgetPages, forgetPage };
  document.addEventListener("submit", (event) => {
    if (event.target.matches("form[data-forget-pages]")) forgetPages();
  }, true);
  const workerUrl = document.currentScript.dataset.worker;
  let accepted = false;

  function offer(worker) {
    if (document.querySelector(".pwa-update")) return;
    const bar = document.createElement("div");
    bar.className = "pwa-update";
    bar.setAttribute("role", "status");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button primary";
    button.textContent = "New version ready: reload";
    button.addEventListener("click", () => {
      accepted = true;
      button.disabled = true;
      worker.postMessage({ type: "SKIP_WAITING" });
    });
    bar.append(button);
    document.body.append(bar);
  }

  function watch(registration) {
    // Only an update waits while a worker already controls the page; a first install does not.
    if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
    registration.addEventListener("updatefound", () => {
      const worker = registration.installing;
      worker.addEventListener("statechange", () => {
        if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
      });
    });
  }

  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (accepted) window.location.reload();
  });
  if (!navigator.serviceWorker.controller) {
    // This page loaded before a worker controlled it: let the worker keep it if it is for offline.
    navigator.serviceWorker.ready.then((registration) => {
      registration.active.postMessage({ type: "KEEP_PAGE", url: window.location.href });
    });
  }
  navigator.serviceWorker.register(workerUrl, { scope: "/" }).then(watch).catch(() => {
    // Offline, or the browser refuses workers here: the app works without one.
  });
})();
