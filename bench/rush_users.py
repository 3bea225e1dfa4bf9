"""The people of bench/rush.py, as the pages' own scripts make them send requests.

Each one is an asyncio task with its own cookies, sending what the page would send:
- a door phone (templates/door, static/js/door.js, door-offline.js) opens the door page, posts
  each scan to the page's scan form with a fresh nonce and the page's CSRF token, polls the
  counter every 3 s and asks for the roster every 60 s with its ETag;
- a guest (templates/room, room.js, cards-offline.js) signs in with their personal link
  (GET shows "Continue as", POST signs in), and on the home page the two htmx parts poll every
  30 s; the room list (cards API) is fetched every 60 s; between polls they open pages and
  record cards: scan page, card form fragment, POST to the cards API, the card page;
- the organizer signs in and keeps the event page open: arrivals and attempts poll every 10 s.
Times come from the pages (seconds); `speed` divides the guests' and the organizer's.
"""

import asyncio
import json
import random
import re
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import quote, urlsplit

import aiohttp

COUNTER_EVERY, ROSTER_EVERY = 3.0, 60.0  # door.js / door-offline.js
POLL_EVERY, ROOM_LIST_EVERY = 30.0, 60.0  # _suggestions.html, _waiting.html, cards-offline.js
ORGANIZER_EVERY = 10.0  # _arrivals.html, _attempts.html
THINK = 20.0  # mean seconds between a guest's own actions (a person, not a page)
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
RESULT = re.compile(r'data-result="([a-z_]+)"(?: data-guest="(\d+)")?')
HTMX = {"HX-Request": "true"}


@dataclass
class Log:
    """Every answer's time by route, what went wrong, and what the door and cards recorded."""

    times: dict = field(default_factory=lambda: defaultdict(list))
    errors: dict = field(default_factory=lambda: defaultdict(list))
    scans: list = field(default_factory=list)  # (code, nonce, result, guest id)
    cards: list = field(default_factory=list)  # (author, subject, nonce, status, card id)
    waits: list = field(default_factory=list)  # seconds a guest waited in line before the scan
    prefix: str = "before: "  # routes are named "before: …" until everyone is signed in

    def error(self, route: str, what: str) -> None:
        self.errors[route].append(what)


class Browser:
    """One person's phone: its own cookies, the shared connection pool, timed requests."""

    def __init__(self, http: aiohttp.ClientSession, base: str, log: Log, name: str):
        self.http, self.base, self.log, self.name = http, base, log, name
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.page = "/"

    async def call(self, route, method, path, expect=(200,), headers=None, **kwargs):
        """Send one request; time it to the last byte; the status, body and headers, or None."""
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method != "GET":
            sent.setdefault("Referer", self.base + self.page)  # Flask-WTF's HTTPS check
        route = self.log.prefix + route
        started = time.perf_counter()
        try:
            async with self.http.request(
                method, self.base + path, headers=sent, allow_redirects=False, **kwargs
            ) as reply:
                body = await reply.text()
                self.log.times[route].append(time.perf_counter() - started)
                self._keep_cookies(reply.headers.getall("Set-Cookie", []))
                if reply.status not in expect:
                    self.log.error(route, f"{reply.status} {body[:120]!r}")
                    return None
                return reply.status, body, reply.headers
        except (TimeoutError, aiohttp.ClientError) as failure:
            self.log.error(route, f"{type(failure).__name__} {failure}")
            return None

    async def open(self, route, path, expect=(200,), headers=None):
        """A page visit: remember it (the next POST's Referer) and its CSRF token."""
        self.page = path
        answer = await self.call(route, "GET", path, expect, headers)
        if answer and (found := CSRF.search(answer[1])):
            self.csrf = found.group(1)
        return answer

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)


def path_of(url: str) -> str:
    """The path (and query) of a URL the demo printed with the cluster's BASE_URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Rush:
    """The start line: everyone signs in first (a few at a time), then the rush begins at once."""

    def __init__(self, people: int, duration: float, log: Log, cpu, at_once: int = 8):
        self.people, self.duration, self.log, self.measure_cpu = people, duration, log, cpu
        self.signing_in = asyncio.Semaphore(at_once)
        self.began = asyncio.Event()
        self.began_at = self.until = self.seconds = self.began_wall = 0.0
        self.cpu: dict = {}
        self.lags: list[float] = []  # seconds the event loop woke late, during the rush

    async def ready(self) -> None:
        """This one is signed in; the last one starts the rush. Wait for it."""
        self.people -= 1
        if self.people == 0:
            self.log.prefix = ""
            self.cpu = self.measure_cpu()
            self.began_at, self.began_wall = time.monotonic(), time.time()
            self.until = self.began_at + self.duration
            self.began.set()
        await self.began.wait()


async def every(seconds: float, until: float, action, rng: random.Random) -> None:
    """Run action every `seconds` (first after a random part of it) until the deadline."""
    await asyncio.sleep(rng.uniform(0, seconds))
    while time.monotonic() < until:
        await action()
        await asyncio.sleep(seconds)


async def door_phone(phone: Browser, door: dict, slug: str, line: asyncio.Queue, rush, rng):
    """Scan whoever is next in line, as fast as they come; poll the counter and the roster."""
    token = door["token"]
    async with rush.signing_in:
        await phone.open("door: page", f"/door/{token}/")
    etag = {"value": ""}

    async def counter():
        await phone.call("door: counter (3 s)", "GET", f"/door/{token}/counter", headers=HTMX)

    async def roster():
        headers = {"Authorization": f"Bearer {token}"}
        if etag["value"]:
            headers["If-None-Match"] = etag["value"]
        path = f"/api/v1/events/{slug}/roster"
        answer = await phone.call("door: roster (60 s)", "GET", path, (200, 304), headers)
        if answer and answer[0] == 200:
            etag["value"] = answer[2].get("ETag", "")

    async with rush.signing_in:
        await roster()
    await rush.ready()
    pollers = [
        asyncio.create_task(every(COUNTER_EVERY, rush.until, counter, rng)),
        asyncio.create_task(every(ROSTER_EVERY, rush.until, roster, rng)),
    ]
    while (guest := await line.get()) is not None:
        code, arrived = guest
        phone.log.waits.append(time.monotonic() - arrived)
        await _scan(phone, token, code)
    for poller in pollers:
        poller.cancel()


async def _scan(phone: Browser, token: str, code: str) -> None:
    nonce = str(uuid.uuid4())
    form = {"csrf_token": phone.csrf, "code": code, "nonce": nonce}
    headers = {**HTMX, "X-Door-Device": f"rush {phone.name}"}
    answer = await phone.call(
        "door: check-in (POST)", "POST", f"/door/{token}/check-in", headers=headers, data=form
    )
    found = RESULT.search(answer[1]) if answer else None
    result, guest = (found.group(1), found.group(2)) if found else (None, None)
    phone.log.scans.append((code, nonce, result, int(guest) if guest else None))


@dataclass
class Guest:
    """Someone in the room with the app open, and the people they may meet here."""

    me: dict
    slug: str
    others: list  # demo entries of checked-in, findable people they have no card for
    speed: float


async def in_the_room(phone: Browser, who: Guest, rush: Rush, rng: random.Random) -> None:
    """Sign in with the personal link, keep the home page polling, and meet people."""
    home = f"/e/{who.slug}/"
    async with rush.signing_in:
        signed_in = await _sign_in(phone, path_of(who.me["login_url"]), home)
    await rush.ready()
    if not signed_in:
        return
    speed, until = who.speed, rush.until

    async def polls():
        await phone.call("guest: suggestions (30 s)", "GET", home + "suggestions", headers=HTMX)
        await phone.call("guest: waiting (30 s)", "GET", home + "waiting", headers=HTMX)

    async def room_list():
        await phone.call("cards API: room list (60 s)", "GET", f"/api/v1/events/{who.slug}/people")

    pollers = [
        asyncio.create_task(every(POLL_EVERY / speed, until, polls, rng)),
        asyncio.create_task(every(ROOM_LIST_EVERY / speed, until, room_list, rng)),
    ]
    await _think(rng.expovariate(speed / THINK), until)
    while time.monotonic() < until:
        pick = rng.random()
        if pick < 0.4 and who.others:
            await _meet(phone, who, who.others.pop(), rng)
        elif pick < 0.6:
            await phone.open("guest: my cards", home + "cards")
        elif pick < 0.8:
            await phone.open("guest: people", home + "people")
            query = rng.choice(who.others or [who.me])["name"][:3]
            path = f"{home}people?q={quote(query)}"
            await phone.call("guest: people search", "GET", path, headers=HTMX)
        else:
            await phone.open("guest: home", home)
        await _think(rng.expovariate(speed / THINK), until)
    for poller in pollers:
        poller.cancel()


async def _think(seconds: float, until: float) -> None:
    """A person's pause, cut short at the end of the rush (so the run's seconds are the rush's)."""
    await asyncio.sleep(max(0.0, min(seconds, until - time.monotonic())))


async def _sign_in(phone: Browser, link: str, home: str) -> bool:
    """Open the personal link, tap "Continue", land on the home page."""
    if not await phone.open("guest: link page", link):
        return False
    form = {"csrf_token": phone.csrf}
    if not await phone.call("guest: sign in (POST)", "POST", link, (302, 303), data=form):
        return False
    return bool(await phone.open("guest: home", home))


async def _meet(phone: Browser, who: Guest, other: dict, rng: random.Random) -> None:
    """Scan someone's QR on the scan page, save the card through the API, open it."""
    home = f"/e/{who.slug}/"
    await phone.open("guest: scan page", home + "scan")
    code = other["code"]
    path = f"{home}met?code={quote(code, safe='')}"
    if not await phone.call("guest: card form (htmx)", "GET", path, headers=HTMX):
        return
    nonce = str(uuid.uuid4())
    body = {"code": code, "note": "Met at the rush.", "tags": [], "starred": False}
    body |= {"nonce": nonce, "via": "scan"}
    headers = {"X-CSRFToken": phone.csrf}
    api = f"/api/v1/events/{who.slug}/cards"
    tries = 2 if rng.random() < 0.1 else 1  # a phone that lost the answer sends it again
    for _ in range(tries):
        answer = await phone.call(
            "cards API: record (POST)", "POST", api, (200, 201), headers, json=body
        )
        card = _json_id(answer[1]) if answer else None
        status = answer[0] if answer else None
        phone.log.cards.append((who.me["email"], other["email"], nonce, status, card))
    if answer and card:
        await phone.open("guest: card page", f"{home}cards/{card}")


def _json_id(text: str):
    try:
        return json.loads(text).get("id")
    except ValueError:
        return None


async def organizer(phone: Browser, demo: dict, rush: Rush, speed: float, rng) -> None:
    """Sign in and watch the event page: arrivals and attempts poll every 10 s."""
    event = f"/events/{demo['event']['slug']}"
    async with rush.signing_in:
        await phone.open("organizer: sign-in page", "/sign-in")
        form = {"csrf_token": phone.csrf, **demo["organizer"]}
        path, done = "/sign-in", (302, 303)
        if await phone.call("organizer: sign in (POST)", "POST", path, done, data=form):
            await phone.open("organizer: event page", event)
    await rush.ready()

    async def live():
        await phone.call("organizer: arrivals (10 s)", "GET", event + "/arrivals", headers=HTMX)
        await phone.call("organizer: attempts (10 s)", "GET", event + "/attempts", headers=HTMX)

    await every(ORGANIZER_EVERY / speed, rush.until, live, rng)
