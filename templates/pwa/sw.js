/* checkin service worker: the app shell cache-first, pages network-first, the offline page as fallback.
   Served by checkin/pwa/views.py, which fills in the shell's version and files.

   What is cached:
   - the shell (CSS, JS, htmx, the QR decoder and its wasm, icons, /offline) under CACHE, replaced
     whole when the version changes;
   - pages that ask for it with the response header "X-Offline-Page: 1" (the door page; a guest's
     cards), in PAGES, keyed by URL: fetched from the network first, and served from PAGES only when
     the network fails. A page whose link stopped working (401, 403, 404, 410) is forgotten. PAGES
     survives new versions (a door must reopen offline after an update) and is emptied by the
     message {type: "FORGET_PAGES"} (sign-out); {type: "FORGET_PAGE", url} drops one page (a door
     whose pass the API or the clock says ended). A page opened before the worker controlled it is
     fetched once more on {type: "KEEP_PAGE", url} (pwa.js sends it), so even a door opened once,
     on the first visit, reopens offline.
   Nothing else is stored: API answers, fragments and every other page pass straight through.

   Background Sync: pages register the sync tag "checkin-outbox" when they queue something
   (outbox.js). On "sync" the worker asks every open page to flush ({type: "OUTBOX_FLUSH"}); it sends
   nothing itself, because only a page holds the door pass or sign-in the items are sent with. With
   no page open the items wait on the phone until one is. */
const VERSION = {{ version|tojson }};
const CACHE = "checkin-shell-" + VERSION;
const PAGES = "checkin-pages";
const SHELL = {{ shell|tojson }};
const OFFLINE = {{ offline|tojson }};
const SHELL_PATHS = new Set(SHELL);
const FORGET = new Set([401, 403, 404, 410]);

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
  const type = event.data && event.data.type;
  if (type === "SKIP_WAITING") self.skipWaiting();
  if (type === "FORGET_PAGES") event.waitUntil(caches.delete(PAGES));
  if (type === "FORGET_PAGE" && typeof event.data.url === "string") event.waitUntil(forgetUrl(event.data.url));
  if (type === "KEEP_PAGE" && typeof event.data.url === "string") event.waitUntil(keep(event.data.url));
});

self.addEventListener("sync", (event) => {
  if (event.tag === "checkin-outbox") event.waitUntil(askPagesToFlush());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (SHELL_PATHS.has(url.pathname) && !url.search) {
    event.respondWith(fromShell(request));
  }
  // Anything else (fragments, API, uploads) goes to the network as if there were no worker.
});

async function page(event) {
  const request = event.request;
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const kept = await caches.match(request.url, { cacheName: PAGES, ignoreVary: true });
    return kept || offlinePage();
  }
  event.waitUntil(remember(request.url, response));
  return response;
}

function keeps(response) {
  return response.ok && !response.redirected && response.headers.get("X-Offline-Page") === "1";
}

async function remember(url, response) {
  // Only a kept page is cloned: a clone of a large download would buffer all of it.
  if (keeps(response)) {
    const copy = response.clone(); // now, before the page reads the body
    await (await caches.open(PAGES)).put(url, copy);
  } else if (FORGET.has(response.status)) {
    await forget(url);
  }
}

async function keep(url) {
  const target = new URL(url);
  if (target.origin !== self.location.origin) return;
  target.hash = "";
  try {
    await remember(target.href, await fetch(target.href, { credentials: "same-origin" }));
  } catch (error) { /* offline already: nothing to keep */ }
}

async function forgetUrl(url) {
  const target = new URL(url);
  if (target.origin !== self.location.origin) return;
  target.hash = "";
  await forget(target.href);
}

async function forget(url) {
  // caches.open would create the pages cache; a page never kept needs no forgetting.
  if (await caches.has(PAGES)) await (await caches.open(PAGES)).delete(url);
}

async function fromShell(request) {
  const cached = await caches.match(request, { cacheName: CACHE });
  return cached || fetch(request);
}

async function offlinePage() {
  const page = await caches.match(OFFLINE, { cacheName: CACHE });
  return page || Response.error();
}

async function askPagesToFlush() {
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of pages) client.postMessage({ type: "OUTBOX_FLUSH" });
}
