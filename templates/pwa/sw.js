/* checkin service worker: the app shell cache-first, pages network-first, the offline page as fallback.
   Served by checkin/views/pwa.py, which fills in the shell's version and files. Only the shell below is
   ever cached: pages (HTML), API answers and anything signed-in pass straight through, never stored. */
const VERSION = {{ version|tojson }};
const CACHE = "checkin-shell-" + VERSION;
const SHELL = {{ shell|tojson }};
const OFFLINE = {{ offline|tojson }};
const SHELL_PATHS = new Set(SHELL);

self.addEventListener("install", (event) => {
  // Static files are served "no-cache" with an ETag, so the HTTP cache revalidates them (a 304 when
  // the page just loaded them: the 1 MB decoder is not fetched twice). The offline page is fetched
  // without cookies: it is the same for everyone.
  const requests = SHELL.map((url) =>
    url === OFFLINE ? new Request(url, { cache: "reload", credentials: "omit" }) : url);
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(requests)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("checkin-shell-") && name !== CACHE)
          .map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => offlinePage()));
  } else if (SHELL_PATHS.has(url.pathname) && !url.search) {
    event.respondWith(fromShell(request));
  }
  // Anything else (fragments, API, uploads) goes to the network as if there were no worker.
});

async function fromShell(request) {
  const cached = await caches.match(request, { cacheName: CACHE });
  return cached || fetch(request);
}

async function offlinePage() {
  const page = await caches.match(OFFLINE, { cacheName: CACHE });
  return page || Response.error();
}
