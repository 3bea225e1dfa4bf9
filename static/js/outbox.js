/* CheckinOutbox: a small IndexedDB outbox for things the phone decided or recorded while the
 * server could not be reached. Nothing in it is lost on reload, sign-out or an expired pass; it is
 * emptied only when the server has the item (or refused it for good).
 *
 * An item: {
 *   nonce,       the key; the server answers the same nonce with the same answer, records it once
 *   kind,        "checkin" | "card"
 *   scope,       what it belongs to, e.g. "door:<event slug>" or "cards:<event slug>:<guest id>";
 *                never a token, so a new door pass or sign-in for the same event sends the old items
 *   url,         where it goes (the sender may ignore it and build its own request)
 *   body,        anything JSON-able
 *   created_at,  ISO 8601; items are sent oldest first (add() fills it in when missing)
 * }
 *
 * window.CheckinOutbox:
 *   add(item)            -> Promise<item>    store it (a nonce already stored is kept as it was)
 *   count(scope)         -> Promise<number>  items waiting in that scope
 *   list(scope)          -> Promise<item[]>  oldest first
 *   remove(nonce)        -> Promise
 *   flush(scope, send)   -> Promise<{sent, dropped, kept, left, busy}>
 *       send(item) returns a Promise of "sent" | "keep" | "drop" (a throw counts as "keep"), or
 *       {verdict: "drop", reason: "text to show"} to say why.
 *       "sent" removes the item; "drop" moves it to the dropped list (see below); "keep" leaves it
 *       and stops the flush (the rest would fail the same way). One flush runs at a time per page and
 *       scope: a second call while one runs gets the running one's promise. Across tabs a Web Lock
 *       keeps a second tab from sending the same items at the same moment (busy: true); where the
 *       browser has no Web Locks two tabs may both send, which is safe because the server dedups
 *       by nonce.
 *   dropped(scope)       -> Promise<item[]>  items the server refused for good (each with
 *                                            dropped_at and reason), kept so the page can say so
 *   dismiss(nonce)       -> Promise          forget a dropped item once the person has seen it
 *   nonce()              -> string           a fresh UUID v4 for a new item
 *
 * Changes: every add, remove, flush and dismiss fires a CustomEvent "outbox:change" on window with
 * detail {scope}, in this tab and (through a BroadcastChannel "checkin-outbox") in every other tab of
 * the app, so each page's "N waiting" stays right. Listen to it; do not poll.
 *
 * Background Sync: add() registers the sync tag "checkin-outbox" where the browser has it. The
 * service worker answers a sync by asking open pages to flush, which reaches a page as a
 * CustomEvent "outbox:flush" on window: a page that owns a scope should flush it then (and also on
 * load, on "online", on focus and every few seconds while items wait: browsers without Background
 * Sync rely on those). */
(() => {
  "use strict";

  const DB_NAME = "checkin-outbox";
  const WAITING = "items";
  const DROPPED = "dropped";
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("checkin-outbox") : null;
  const running = new Map(); // scope -> Promise of the flush under way in this page
  let opening = null;

  function open() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          db.createObjectStore(WAITING, { keyPath: "nonce" }).createIndex("scope", "scope");
          db.createObjectStore(DROPPED, { keyPath: "nonce" }).createIndex("scope", "scope");
        };
        request.onsuccess = () => {
          const db = request.result;
          db.onversionchange = () => { db.close(); opening = null; };
          resolve(db);
        };
        request.onerror = () => { opening = null; reject(request.error); };
        request.onblocked = () => { opening = null; reject(new Error("outbox database blocked")); };
      });
    }
    return opening;
  }

  /** Run fn(stores) in one transaction; resolves with fn's request result once it commits. */
  async function run(names, mode, fn) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(names, mode);
      const stores = names.map((name) => tx.objectStore(name));
      const request = fn(...stores);
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("outbox transaction aborted"));
    });
  }

  function changed(scope) {
    window.dispatchEvent(new CustomEvent("outbox:change", { detail: { scope } }));
    if (channel) channel.postMessage({ scope });
  }

  if (channel) {
    channel.onmessage = (event) => {
      const scope = event.data && event.data.scope;
      window.dispatchEvent(new CustomEvent("outbox:change", { detail: { scope, remote: true } }));
    };
  }

  function oldestFirst(items) {
    return items.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1
      : a.nonce < b.nonce ? -1 : 1));
  }

  async function add(item) {
    for (const key of ["nonce", "kind", "scope"]) {
      if (!item || typeof item[key] !== "string" || !item[key]) {
        throw new TypeError("outbox item needs a " + key);
      }
    }
    const stored = { ...item, created_at: item.created_at || new Date().toISOString() };
    await run([WAITING], "readwrite", (items) => {
      const existing = items.get(stored.nonce);
      existing.onsuccess = () => { if (!existing.result) items.put(stored); };
      return null;
    });
    changed(stored.scope);
    askForSync();
    return stored;
  }

  function askForSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.getRegistration().then((registration) => {
      if (registration && registration.sync) return registration.sync.register("checkin-outbox");
      return null;
    }).catch(() => { /* no permission or no worker: the page's own timers send it */ });
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "OUTBOX_FLUSH") {
        window.dispatchEvent(new CustomEvent("outbox:flush"));
      }
    });
    navigator.serviceWorker.startMessages();
  }

  function count(scope) {
    return run([WAITING], "readonly", (items) => items.index("scope").count(scope));
  }

  async function list(scope) {
    return oldestFirst(await run([WAITING], "readonly", (items) => items.index("scope").getAll(scope)));
  }

  function remove(nonce) {
    return deleteFrom(WAITING, nonce);
  }

  /** Delete an item from a store, and tell the pages of its scope. */
  async function deleteFrom(store, nonce) {
    const item = await run([store], "readonly", (items) => items.get(nonce));
    if (!item) return;
    await run([store], "readwrite", (items) => items.delete(nonce));
    changed(item.scope);
  }

  async function drop(item, reason) {
    const kept = { ...item, dropped_at: new Date().toISOString(), reason: reason || "" };
    await run([WAITING, DROPPED], "readwrite", (items, dropped) => {
      items.delete(item.nonce);
      dropped.put(kept);
      return null;
    });
  }

  async function dropped(scope) {
    return oldestFirst(await run([DROPPED], "readonly", (d) => d.index("scope").getAll(scope)));
  }

  function dismiss(nonce) {
    return deleteFrom(DROPPED, nonce);
  }

  /** Send each waiting item of a scope, oldest first, until one says "keep". */
  async function sendAll(scope, send) {
    const tally = { sent: 0, dropped: 0, kept: 0, left: 0, busy: false };
    for (const item of await list(scope)) {
      let verdict;
      try {
        verdict = await send(item);
      } catch (error) {
        verdict = "keep";
      }
      const reason = verdict && typeof verdict === "object" ? verdict.reason : "";
      if (verdict && typeof verdict === "object") verdict = verdict.verdict;
      if (verdict === "sent") {
        await run([WAITING], "readwrite", (items) => items.delete(item.nonce));
        tally.sent += 1;
      } else if (verdict === "drop") {
        await drop(item, reason);
        tally.dropped += 1;
      } else {
        tally.kept += 1;
        break;
      }
      changed(scope);
    }
    tally.left = await count(scope);
    return tally;
  }

  function flush(scope, send) {
    if (running.has(scope)) return running.get(scope);
    const work = (async () => {
      if (!(navigator.locks && navigator.locks.request)) return sendAll(scope, send);
      return navigator.locks.request("checkin-outbox:" + scope, { ifAvailable: true }, (lock) => {
        if (!lock) return count(scope).then((left) => ({ sent: 0, dropped: 0, kept: 0, left, busy: true }));
        return sendAll(scope, send);
      });
    })().finally(() => running.delete(scope));
    running.set(scope, work);
    return work;
  }

  function nonce() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  /** The ticket code inside scanned text, by the server's rules (tickets.parse_scan): a ticket
   *  URL's last path part, or the bare code; null for anything else. */
  function ticketCode(text) {
    if (typeof text !== "string" || text.length > 512) return null;
    let value = text.trim();
    if (value.includes("/")) {
      let path = value;
      if (value.includes("://")) {
        try { path = new URL(value).pathname; } catch (error) { return null; }
      }
      value = path.replace(/\/+$/, "").split("/").pop();
    }
    const code = value.toUpperCase();
    return /^[A-Z2-7]{32}$/.test(code) ? code : null;
  }

  /** Hex SHA-256 of text: how the saved lists name a ticket without holding its code. */
  async function sha256(text) {
    const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  window.CheckinOutbox = {
    add, count, list, remove, flush, dropped, dismiss, nonce, ticketCode, sha256,
  };
})();
