/* DoorRosters: the guest lists door phones keep in IndexedDB ("checkin-door", store "rosters"),
 * one record per event: { slug, etag, saved_at, expires_at, attendees }. expires_at is when the
 * door pass that saved it stops working (milliseconds since 1970, by this phone's clock).
 *
 * A list is personal data (names, class years, hashes of ticket codes), so it goes as soon as the
 * phone knows its pass is over: door-offline.js calls forget() when the server answers
 * "X-Door-Pass: ended" or the pass's expiry time has passed, and sweep() drops every list whose
 * pass has expired. Loaded by the 401 page of a door link with data-ended="<slug>", it forgets
 * that event's list and sweeps the rest. Queued scans live elsewhere (outbox.js) and stay.
 *
 *   get(slug)    -> Promise<record | undefined>
 *   has(slug)    -> Promise<boolean>
 *   put(record)  -> Promise
 *   forget(slug) -> Promise
 *   sweep(now)   -> Promise<number>   lists deleted whose expires_at is at or before now */
(() => {
  "use strict";

  const STORE = "rosters";
  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open("checkin-door", 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "slug" });
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => { opening = null; reject(request.error); };
      });
    }
    return opening;
  }

  /** Run fn(store) in one transaction; resolves with its request's result once it commits. */
  async function run(mode, fn) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("roster transaction aborted"));
    });
  }

  const get = (slug) => run("readonly", (store) => store.get(slug));
  const has = async (slug) => (await run("readonly", (store) => store.count(slug))) > 0;
  const put = (record) => run("readwrite", (store) => store.put(record));
  const forget = (slug) => run("readwrite", (store) => store.delete(slug));

  function sweep(now) {
    const moment = now === undefined ? Date.now() : now;
    let deleted = 0;
    return run("readwrite", (store) => {
      const cursor = store.openCursor();
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return;
        if (typeof at.value.expires_at === "number" && at.value.expires_at <= moment) {
          at.delete();
          deleted += 1;
        }
        at.continue();
      };
      return null;
    }).then(() => deleted);
  }

  self.DoorRosters = { get, has, put, forget, sweep };

  const script = typeof document === "undefined" ? null : document.currentScript;
  if (script && "ended" in script.dataset) {
    const slug = script.dataset.ended;
    (slug ? forget(slug) : Promise.resolve()).then(() => sweep()).catch(() => {
      /* no IndexedDB here: nothing was saved either */
    });
  }
})();
