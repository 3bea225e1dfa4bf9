/* Registers the service worker (root scope) and, when a new version of the app has installed and
   waits, offers "New version ready: reload": the click tells the new worker to take over, and the
   page reloads once it controls the page. */
(() => {
  if (!("serviceWorker" in navigator)) return;
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
  navigator.serviceWorker.register(workerUrl, { scope: "/" }).then(watch).catch(() => {
    // Offline, or the browser refuses workers here: the app works without one.
  });
})();
