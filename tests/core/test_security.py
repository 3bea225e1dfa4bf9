"""Security across the whole app, found by walking the URL map rather than listing pages by hand:
sign-in walls, other organizers' things, CSRF, GET that changes nothing, CSP and no inline code,
door passes kept to their own event, and a database copy that gives no codes away."""

import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import csrf_token
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from support.pages import HTMX

from checkin.door import api_passes
from checkin.extensions import db
from checkin.models import DoorPass, Event, Guest, utcnow

# Blueprints anyone may reach without an organizer session (each guards itself another way:
# sign-in is the way in, door pages and the API need a door pass, tickets need the code).
PUBLIC_BLUEPRINTS = {
    *("accounts", "door", "api", "ticket_page", "room", "cards_api"),
    "privacy",  # a guest's own data: their room pages, guest_of_event like the room's
    "pwa",  # the manifest, the service worker and the offline page: the same for everyone
    "operations",  # /healthz: "ok" or which part fails, nothing more (test_health)
    "registration",  # the public event page and its form: for anyone, while registration is on
    "waitlist",  # an offer's emailed link (its token), and a guest's "I can't come" (room-like)
    "members",  # a remembered guest's own pages (guest_of_event, like the room's)
}
# The emails' links: each carries a token for its reader (the rest of mail is organizers').
PUBLIC_MAIL_LINKS = {
    *("mail.confirm_unsubscribe", "mail.unsubscribe", "mail.subscribe_again"),
    *("mail.confirm_connect", "mail.connect", "mail.confirm_meet", "mail.meet"),
    "invitations.confirm_no_more",  # an invitation's "no more invitations" (a hashed token)
    "invitations.no_more",
    *("associations.invitation", "associations.accept"),  # a team invitation: its token
}
PUBLIC_ENDPOINTS = {"static"}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def host_path(url: str) -> str:
    """An absolute link made with BASE_URL, as a path for the test client."""
    return url.replace("http://127.0.0.1:5000", "")


def send(client, method, path, headers=None, data=None):
    """One request of any method."""
    return client.open(path, method=method, headers=headers or {}, data=data)


@pytest.fixture
def two_organizers(app, client, make_event, make_guest, make_pass):
    """Two organizers, A and B, each with an event, guests (one in), a door pass and a log."""

    def build(email, name):
        slug = make_event(name, email=email)
        first, first_code = make_guest(slug, f"{name} Guest One")
        second, second_code = make_guest(slug, f"{name} Guest Two")
        token = make_pass(slug, "Door 1")
        for code in (first_code, "garbage-code"):
            client.post(
                f"/api/v1/events/{slug}/checkins",
                json={"code": code, "nonce": str(uuid.uuid4())},
                headers={"Authorization": f"Bearer {token}"},
            )
        with app.app_context():
            pass_id = db.session.scalar(
                select(DoorPass.id)
                .where(DoorPass.token_hash.is_not(None))
                .join(Event)
                .where(Event.slug == slug)
            )
        return {
            "email": email,
            "slug": slug,
            "attendee_id": second,
            "checked_in": first,
            "pass_id": pass_id,
            "token": token,
            "code": host_path(second_code).rsplit("/")[-1],
            "codes": [first_code, second_code],
        }

    return {"a": build("a@example.org", "Alpha"), "b": build("b@example.org", "Bravo")}


def rules(app, predicate=lambda rule: True):
    """(rule, method) pairs of the URL map, static files and HEAD/OPTIONS left out."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or not predicate(rule):
            continue
        for method in sorted(rule.methods - SKIPPED_METHODS):
            yield rule, method


def organizer_rule(rule) -> bool:
    """Routes only a signed-in organizer may use."""
    public = rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS or rule.endpoint in PUBLIC_MAIL_LINKS
    return not public


def build(app, rule, values: dict) -> str:
    """The rule's URL with its arguments filled from values (unknown ones get a stand-in)."""
    filled = {}
    for argument in rule.arguments:
        converter = type(rule._converters[argument]).__name__
        filled[argument] = values.get(argument, 1 if converter == "IntegerConverter" else "x")
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, filled, method=None)


def snapshot(app) -> dict:
    """Every row of every table, to compare before and after."""
    with app.app_context():
        return {
            table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
            for table in db.metadata.sorted_tables
        }


def signed_in(client, sign_in, who) -> str:
    """Sign the client in as an organizer; returns a CSRF token for its session."""
    assert sign_in(email=who["email"]).status_code == 302
    return csrf_token(client, "/events")


# Signed out


def test_every_organizer_route_sends_you_to_sign_in(app, client, two_organizers):
    """Signed out, every organizer URL and method redirects to the sign-in page."""
    token = csrf_token(client)  # a valid token, so CSRF is not what stops the request
    checked = 0
    for rule, method in rules(app, organizer_rule):
        path = build(app, rule, two_organizers["a"])
        reply = send(client, method, path, data={"csrf_token": token})
        assert reply.status_code == 302, f"{method} {path} answered {reply.status_code}"
        assert reply.location.startswith("/sign-in?next="), f"{method} {path}"
        checked += 1
    assert checked >= 14


# Organizer A and organizer B


def test_other_organizers_events_are_not_found(app, client, sign_in, two_organizers):
    """A asking for anything under B's event gets 404, and nothing of B's changes."""
    token = signed_in(client, sign_in, two_organizers["a"])
    before = snapshot(app)
    checked = 0
    for rule, method in rules(app, lambda r: organizer_rule(r) and "slug" in r.arguments):
        path = build(app, rule, two_organizers["b"])
        reply = send(client, method, path, data={"csrf_token": token})
        assert reply.status_code == 404, f"{method} {path} answered {reply.status_code}"
        checked += 1
    assert checked >= 12
    assert snapshot(app) == before


def test_other_events_guests_and_passes_are_not_found(app, client, sign_in, two_organizers):
    """A's own event with B's guest or pass ids in the URL gets 404 too."""
    token = signed_in(client, sign_in, two_organizers["a"])
    before = snapshot(app)
    mixed = {
        **two_organizers["a"],
        "attendee_id": two_organizers["b"]["attendee_id"],
        "pass_id": two_organizers["b"]["pass_id"],
    }
    checked = 0
    for rule, method in rules(
        app, lambda r: organizer_rule(r) and {"attendee_id", "pass_id"} & set(r.arguments)
    ):
        path = build(app, rule, mixed)
        reply = send(
            client, method, path, data={"csrf_token": token, "confirm": "y", "name": "Taken Over"}
        )
        assert reply.status_code == 404, f"{method} {path} answered {reply.status_code}"
        checked += 1
    assert checked >= 5
    assert snapshot(app) == before


def test_other_organizers_guests_never_show_in_my_lists(client, sign_in, two_organizers):
    """A's guest search for B's guest's name finds nothing."""
    signed_in(client, sign_in, two_organizers["a"])
    reply = client.get(f"/events/{two_organizers['a']['slug']}/guests?q=bravo", headers=HTMX)
    assert "Bravo" not in reply.get_data(as_text=True)


# CSRF


def test_posts_without_a_csrf_token_are_refused(app, client, sign_in, two_organizers):
    """Every form POST (organizer, sign-in, door) without a token gets 400 and changes nothing."""
    signed_in(client, sign_in, two_organizers["a"])
    before = snapshot(app)
    checked = 0
    for rule, method in rules(app, lambda r: r.endpoint.split(".")[0] != "api"):
        if method != "POST":
            continue
        path = build(app, rule, two_organizers["a"])
        for headers in ({}, HTMX):
            reply = send(
                client,
                method,
                path,
                headers=headers,
                data={
                    "name": "Forged",
                    "confirm": "y",
                    "code": two_organizers["a"]["code"],
                    "nonce": str(uuid.uuid4()),
                    "hours": "5",
                },
            )
            assert reply.status_code == 400, f"{method} {path} answered {reply.status_code}"
            checked += 1
    assert checked >= 20
    assert snapshot(app) == before


def test_htmx_posts_carry_the_token_in_a_header(app, client, sign_in, two_organizers):
    """The X-CSRFToken header that base.html gives htmx is accepted in place of the field."""
    token = signed_in(client, sign_in, two_organizers["a"])
    reply = client.post(
        f"/events/{two_organizers['a']['slug']}/door-passes",
        data={"name": "Side door", "hours": "4"},
        headers={**HTMX, "X-CSRFToken": token},
    )
    assert reply.status_code == 302
    html = client.get("/events").get_data(as_text=True)
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in html


# GET never changes anything


def get_targets(app, world) -> list[tuple[str, dict]]:
    """Every GET URL in the map with real arguments, plus searches and pages with queries."""
    mine = world["a"]
    targets = []
    for rule, method in rules(app):
        if method != "GET":
            continue
        headers = {}
        if rule.endpoint.startswith("api."):
            headers = {"Authorization": f"Bearer {mine['token']}"}
        targets.append((build(app, rule, mine), headers))
    slug, token = mine["slug"], mine["token"]
    targets += [
        (f"/events/{slug}/guests?q=alpha&status=in&page=2", {}),
        (f"/door/{token}/search?q=alpha", {}),
        ("/sign-in?next=/events", {}),
    ]
    return targets


def test_get_requests_never_change_state(app, client, sign_in, two_organizers):
    """Walking every GET route (as page and as htmx fragment) leaves every row as it was."""
    signed_in(client, sign_in, two_organizers["a"])
    before = snapshot(app)
    targets = get_targets(app, two_organizers)
    for path, headers in targets:
        for extra in ({}, HTMX):
            reply = client.get(path, headers={**headers, **extra})
            assert reply.status_code < 500, f"GET {path} answered {reply.status_code}"
    assert len(targets) >= 16
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.get(Guest, two_organizers["a"]["attendee_id"]).checked_in_at is None
        assert db.session.get(Guest, two_organizers["a"]["checked_in"]).checked_in_at is not None


# Headers and markup on every page


def every_response(app, client, sign_in, world) -> list:
    """(what, response) for every GET route, error pages and forms shown again with errors."""
    token = signed_in(client, sign_in, world["a"])
    replies = [
        (f"GET {path}", client.get(path, headers=headers))
        for path, headers in get_targets(app, world)
    ]
    slug = world["a"]["slug"]
    for path, data in [
        (f"/events/{slug}/attendees/new", {"name": "", "email": "bad"}),
        (f"/events/{slug}/attendees/{world['a']['attendee_id']}/reissue", {}),
        (f"/events/{slug}/door-passes", {"name": ""}),
        (f"/events/{slug}/edit", {"name": "", "timezone": "Nowhere"}),
        ("/events/new", {"name": "x"}),
    ]:
        replies.append((f"POST {path}", client.post(path, data={"csrf_token": token, **data})))
    replies += [
        ("404", client.get("/no-such-page")),
        ("401", client.get("/door/not-a-pass/")),
        ("405", client.get("/sign-out")),
        ("ticket 404", client.get("/t/NOPE")),
    ]
    fresh = app.test_client()
    replies.append(
        (
            "failed sign-in",
            fresh.post(
                "/sign-in",
                data={
                    "csrf_token": csrf_token(fresh),
                    "email": "a@example.org",
                    "password": "nope",
                },
            ),
        )
    )
    return replies


def test_every_html_response_has_a_strict_csp(app, client, sign_in, two_organizers):
    """Every HTML page forbids inline scripts and styles: no 'unsafe-inline' anywhere."""
    checked = 0
    for what, reply in every_response(app, client, sign_in, two_organizers):
        if reply.mimetype != "text/html":
            continue
        policy = reply.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy, what
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, what
        assert re.search(r"script-src 'self'( 'wasm-unsafe-eval')?;", policy), what
        assert "frame-ancestors 'none'" in policy, what
        checked += 1
    assert checked >= 25


INLINE = [
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I), "an on...= handler"),
    (re.compile(r"<[a-z][^>]*\shx-on", re.I), "an hx-on attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_page_has_inline_styles_or_scripts(app, client, sign_in, two_organizers):
    """No rendered page carries inline CSS or JavaScript the CSP would block."""
    pages = [
        (w, r)
        for w, r in every_response(app, client, sign_in, two_organizers)
        if r.mimetype == "text/html"
    ]
    for what, reply in pages:
        html = reply.get_data(as_text=True)
        for pattern, name in INLINE:
            found = pattern.search(html)
            assert found is None, f"{what} has {name}: {found and found.group(0)[:120]}"
    assert any('<rect class="bar"' in r.get_data(as_text=True) for _, r in pages)  # chart drawn
    assert any('class="qr"' in r.get_data(as_text=True) for _, r in pages)  # a QR drawn


def test_every_response_keeps_referrers_on_this_site(app, client, sign_in, two_organizers):
    """Links carry secrets, so no page, fragment, JSON or error leaks them in a Referer to
    another site; this site gets one (Flask-WTF refuses an https POST without it)."""
    replies = every_response(app, client, sign_in, two_organizers)
    replies.append(("static", client.get("/static/css/app.css")))
    for what, reply in replies:
        assert reply.headers.get("Referrer-Policy") == "same-origin", what
        assert reply.headers.get("X-Content-Type-Options") == "nosniff", what


# The same for everyone, so a browser or proxy may keep them: static files and the app shell.
CACHEABLE = ("/static/", "/sw.js", "/manifest.webmanifest", "/offline")


def test_every_page_but_static_files_and_the_shell_is_no_store(
    app, client, sign_in, two_organizers
):
    """Every route of the map (organizer, guest, ticket, door, API, mail links, errors,
    signed in or not) says Cache-Control: no-store; static files and the app shell do not."""
    replies = every_response(app, client, sign_in, two_organizers)
    again = f"/e/{two_organizers['a']['slug']}/link-again"
    replies.append((f"signed out {again}", app.test_client().get(again)))
    replies.append(("GET /static/css/app.css", client.get("/static/css/app.css")))
    checked = cacheable = 0
    for what, reply in replies:
        path = what.rsplit(" ", 1)[-1]
        if path.startswith(CACHEABLE):
            assert "no-store" not in reply.headers.get("Cache-Control", ""), what
            cacheable += 1
        else:
            assert reply.headers.get("Cache-Control") == "no-store", what
            checked += 1
    assert checked >= 40 and cacheable >= 4


# Door passes stay at their own event


def test_door_pass_of_one_event_cannot_use_anothers_api(app, client, two_organizers):
    """A's pass on B's API answers 403 for every API route, and records nothing."""
    before = snapshot(app)
    headers = {"Authorization": f"Bearer {two_organizers['a']['token']}"}
    checked = 0
    for rule, method in rules(
        app, lambda r: r.endpoint.startswith("api.") and "slug" in r.arguments
    ):
        reply = client.open(
            build(app, rule, two_organizers["b"]),
            method=method,
            headers=headers,
            json={"code": two_organizers["b"]["codes"][1], "nonce": str(uuid.uuid4())},
        )
        assert reply.status_code in (401, 403), f"{method} {rule} answered {reply.status_code}"
        checked += 1
    assert checked >= 3
    assert snapshot(app) == before


def test_door_pass_cannot_check_in_or_find_another_events_guests(app, client, two_organizers):
    """With A's door page, B's guest ids are unknown, B's names unfound, nothing changes."""
    door = f"/door/{two_organizers['a']['token']}"
    token = csrf_token(client, door + "/")
    before = snapshot(app)
    for action, guest in (("check-in", "attendee_id"), ("undo", "checked_in")):
        reply = client.post(
            f"{door}/attendees/{two_organizers['b'][guest]}/{action}",
            data={"csrf_token": token, "nonce": str(uuid.uuid4())},
            headers=HTMX,
        )
        assert reply.status_code in (200, 404, 422)
        assert "Bravo" not in reply.get_data(as_text=True)
    reply = client.post(
        f"{door}/check-in",
        headers=HTMX,
        data={
            "csrf_token": token,
            "nonce": str(uuid.uuid4()),
            "code": two_organizers["b"]["codes"][1],
        },
    )
    assert "Bravo" not in reply.get_data(as_text=True)
    assert "Bravo" not in client.get(f"{door}/search?q=bravo", headers=HTMX).get_data(as_text=True)
    with app.app_context():
        b_people = db.session.execute(
            select(Guest.id, Guest.checked_in_at)
            .join(Event)
            .where(Event.slug == two_organizers["b"]["slug"])
        ).all()
    assert snapshot(app)["attendees"] == before["attendees"]
    assert sum(1 for _, at in b_people if at is not None) == 1


def test_door_pass_does_not_open_organizer_pages(client, two_organizers):
    """A door pass token is no organizer session: organizer pages still ask to sign in."""
    reply = client.get(
        f"/events/{two_organizers['a']['slug']}",
        headers={"Authorization": f"Bearer {two_organizers['a']['token']}"},
    )
    assert reply.status_code == 302 and reply.location.startswith("/sign-in")


def test_revoked_and_expired_passes_stop_working(app, client, sign_in, two_organizers):
    """Revoking on the organizer page shuts the door page at once and the API within the
    door's pass cache time (api_passes.PASS_CACHE_SECONDS); expiry does the same."""
    token = signed_in(client, sign_in, two_organizers["a"])
    a, b = two_organizers["a"], two_organizers["b"]
    client.post(
        f"/events/{a['slug']}/door-passes/{a['pass_id']}/revoke", data={"csrf_token": token}
    )
    with app.app_context():
        db.session.execute(
            update(DoorPass)
            .where(DoorPass.id == b["pass_id"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    for who in (a, b):
        assert client.get(f"/door/{who['token']}/").status_code == 401
    time.sleep(api_passes.PASS_CACHE_SECONDS + 0.1)
    for who in (a, b):
        api = client.get(
            f"/api/v1/events/{who['slug']}/stats",
            headers={"Authorization": f"Bearer {who['token']}"},
        )
        assert api.status_code == 401


# A copy of the database alone


def test_database_copy_reveals_no_ticket_code_or_door_token(app, database_url, two_organizers):
    """Dumping every table (and, on SQLite, the raw files) shows no code or token."""
    secrets = []
    for side in two_organizers.values():
        secrets += [side["token"], *(host_path(c).rsplit("/")[-1] for c in side["codes"])]
    assert len(set(secrets)) == 6 and all(len(s) >= 32 for s in secrets)
    with app.app_context():
        dump = "\n".join(
            repr(tuple(row))
            for table in db.metadata.sorted_tables
            for row in db.session.execute(select(table))
        )
        db.session.remove()
    assert "Alpha Guest One" in dump  # the dump is real
    for secret in secrets:
        for form in (secret, secret.lower()):
            assert form not in dump
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        raw = b"".join(p.read_bytes() for p in Path(url.database).parent.glob("checkin.sqlite*"))
        assert b"Alpha Guest One" in raw
        for secret in secrets:
            assert secret.encode() not in raw and secret.lower().encode() not in raw
