"""What an https BASE_URL turns on (Secure __Host- cookies, HSTS, https links in every email),
what plain http keeps as it was, Flask-WTF's referrer check on https POSTs, and forwarded
headers honoured only from TRUSTED_PROXIES proxies."""

import re
import uuid

import pytest
from conftest import PASSWORD, fresh_app
from flask import request, url_for

from checkin.accounts import personal_links
from checkin.config import Config
from checkin.digest import content
from checkin.events import tickets
from checkin.extensions import db
from checkin.mail import messages as emails
from checkin.models import Event, Guest
from checkin.room import cards

SITE = "https://checkin.example.org"
FORGED = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example",
}


@pytest.fixture
def app(database_url, tmp_path):
    """The app with an https BASE_URL (overrides conftest's, so make_event and friends use it)."""
    with fresh_app(database_url, tmp_path / "instance", BASE_URL=SITE) as app:
        yield app


def secure_post(client, path, data, referer=f"{SITE}/sign-in"):
    """A POST over https, with the Referer a browser on this site sends (None: no Referer)."""
    headers = {"Referer": referer} if referer else {}
    return client.post(path, data=data, base_url=SITE, headers=headers)


def token_of(client, path="/sign-in") -> str:
    """The CSRF token of an https page."""
    html = client.get(path, base_url=SITE).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def sign_in_over_https(client, make_organizer, referer=f"{SITE}/sign-in"):
    """The organizer's sign-in form posted over https; returns the reply."""
    make_organizer()
    data = {"email": "organizer@example.org", "password": PASSWORD, "csrf_token": token_of(client)}
    return secure_post(client, "/sign-in", data, referer)


def cookies_set(reply) -> dict[str, str]:
    """Set-Cookie headers of a reply, by cookie name."""
    return {h.split("=", 1)[0]: h for h in reply.headers.getlist("Set-Cookie")}


# Cookies and HSTS


def test_an_https_sign_in_sets_secure_host_prefixed_cookies(client, make_organizer):
    """__Host-session and __Host-remember: Secure, HttpOnly, Path=/, no Domain."""
    reply = sign_in_over_https(client, make_organizer)
    assert reply.status_code == 302, reply.get_data(as_text=True)
    cookies = cookies_set(reply)
    assert set(cookies) == {"__Host-session", "__Host-remember"}
    for header in cookies.values():
        assert "; Secure" in header and "; HttpOnly" in header and "; Path=/" in header
        assert "Domain=" not in header
    assert client.get("/events", base_url=SITE).status_code == 200  # the cookies sign it in


def test_https_responses_carry_hsts_without_subdomains(client):
    """Strict-Transport-Security on a secure response: a year, this host only."""
    reply = client.get("/sign-in", base_url=SITE)
    assert reply.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_plain_http_keeps_plain_cookies_and_no_hsts(database_url, tmp_path):
    """BASE_URL http (make run on a laptop): a cookie named session, not Secure; no HSTS."""
    with fresh_app(database_url, tmp_path / "http", BASE_URL="http://127.0.0.1:5000") as app:
        with app.app_context():
            from checkin.accounts import users

            users.create_organizer("organizer@example.org", PASSWORD)
        client = app.test_client()
        html = client.get("/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        data = {"email": "organizer@example.org", "password": PASSWORD, "csrf_token": token}
        reply = client.post("/sign-in", data=data)
    assert reply.status_code == 302
    cookies = cookies_set(reply)
    assert set(cookies) == {"session", "remember_token"}
    assert not any("Secure" in header for header in cookies.values())
    assert "Strict-Transport-Security" not in reply.headers


# The referrer check that once refused every https POST


def test_an_https_post_from_this_site_passes_the_referrer_check(client, make_organizer):
    """A same-origin Referer (what Referrer-Policy: same-origin lets browsers send) is enough."""
    assert sign_in_over_https(client, make_organizer).status_code == 302


@pytest.mark.parametrize(
    ("referer", "error"),
    [
        (None, "The referrer header is missing."),
        ("https://evil.example/sign-in", "The referrer does not match the host."),
        ("http://checkin.example.org/sign-in", "The referrer does not match the host."),
    ],
)
def test_an_https_post_from_elsewhere_is_refused(client, make_organizer, referer, error):
    """No Referer, another site's, or this host over http: 400 with Flask-WTF's reason."""
    reply = sign_in_over_https(client, make_organizer, referer)
    assert reply.status_code == 400
    assert error in reply.get_data(as_text=True)
    assert "__Host-remember" not in cookies_set(reply)


def test_every_response_keeps_referrers_on_this_site(client):
    """Referrer-Policy: same-origin: this site gets a Referer, other sites none."""
    for path in ("/sign-in", "/no-such-page", "/static/css/app.css", "/sw.js"):
        assert client.get(path, base_url=SITE).headers["Referrer-Policy"] == "same-origin", path


# Forwarded headers


def echo(app):
    """Add a route that reports what the app believes about the request."""

    def where():
        external = url_for("accounts.sign_in", _external=True)
        return {"remote": request.remote_addr, "scheme": request.scheme, "url": external}

    app.add_url_rule("/_where", "where", where)
    return app.test_client()


def test_forwarded_headers_change_nothing_by_default(app):
    """TRUSTED_PROXIES 0: a forged X-Forwarded-For/-Proto/-Host is ignored."""
    assert app.config["TRUSTED_PROXIES"] == 0
    client = echo(app)
    plain = client.get("/_where", environ_base={"REMOTE_ADDR": "198.51.100.7"}).get_json()
    forged = client.get(
        "/_where", headers=FORGED, environ_base={"REMOTE_ADDR": "198.51.100.7"}
    ).get_json()
    assert (
        forged
        == plain
        == {
            "remote": "198.51.100.7",
            "scheme": "http",
            "url": "http://localhost/sign-in",
        }
    )
    assert "Strict-Transport-Security" not in client.get("/sign-in", headers=FORGED).headers


def test_forwarded_headers_are_used_behind_one_trusted_proxy(database_url, tmp_path):
    """TRUSTED_PROXIES 1: the proxy's X-Forwarded-* give the client, scheme and host."""
    with fresh_app(database_url, tmp_path / "proxied", BASE_URL=SITE, TRUSTED_PROXIES=1) as app:
        client = echo(app)
        seen = client.get(
            "/_where", headers=FORGED, environ_base={"REMOTE_ADDR": "127.0.0.1"}
        ).get_json()
        hsts = client.get("/sign-in", headers=FORGED).headers.get("Strict-Transport-Security")
    assert seen == {
        "remote": "203.0.113.9",
        "scheme": "https",
        "url": "https://evil.example/sign-in",
    }
    assert hsts == "max-age=31536000"


def test_one_trusted_proxy_takes_only_the_address_it_added(database_url, tmp_path):
    """A client's own X-Forwarded-For in front of the proxy's entry is not believed."""
    with fresh_app(database_url, tmp_path / "proxied", TRUSTED_PROXIES=1) as app:
        headers = {"X-Forwarded-For": "10.6.6.6, 203.0.113.9"}
        seen = echo(app).get("/_where", headers=headers).get_json()
    assert seen["remote"] == "203.0.113.9"


@pytest.mark.parametrize("value", ["yes", "-1", "1.5", ""])
def test_a_proxy_count_that_is_not_a_number_is_refused(monkeypatch, capsys, value):
    """TRUSTED_PROXIES must be a whole number: one line names the variable and the value."""
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(SystemExit) as stopped:
        Config()
    assert stopped.value.code == 4
    assert capsys.readouterr().err == (
        f"checkin: TRUSTED_PROXIES must be a number of proxies (0, 1, 2...), not {value!r}\n"
    )


# Emailed links


def urls_in(message) -> list[str]:
    """Every http(s) URL in a message's headers and text parts."""
    found = re.findall(r"https?://[^\s<>\"')]+", str(message.get("List-Unsubscribe", "")))
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found += re.findall(r"https?://[^\s<>\"')]+", part.get_content())
    return found


@pytest.fixture
def pair(app, make_event, make_guest, set_guest):
    """Two checked-in guests who met each other, both sharing contacts and wanting a digest."""
    slug = make_event()
    people = []
    for name in ("Ada Lovelace", "Grace Hopper"):
        attendee_id, _ = make_guest(slug, name)
        set_guest(
            attendee_id,
            checked_in=True,
            consent_findable=True,
            consent_share_contact=True,
            consent_digest=True,
            linkedin_url="https://www.linkedin.com/in/someone",
        )
        people.append(attendee_id)
    with app.app_context():
        ada, grace = (db.session.get(Guest, i) for i in people)
        cards.record(ada, grace, uuid.uuid4().hex)
        cards.record(grace, ada, uuid.uuid4().hex)
    return people


def test_every_emailed_link_is_https(app, pair):
    """Ticket, digest and introduction: every link and List-Unsubscribe start with BASE_URL."""
    with app.app_context():
        ada, grace = (db.session.get(Guest, i) for i in pair)
        code = tickets.code_of(tickets.issue(ada))
        built = content.Builder(db.session.get(Event, ada.event_id)).build(ada)
        messages = [
            emails.ticket(ada, code, personal_links.url_of(personal_links.ensure(ada))),
            emails.digest(built),
            emails.introduction(ada, grace),
        ]
        db.session.commit()
    for message in messages:
        found = urls_in(message)
        ours = [u for u in found if not u.startswith("https://www.linkedin.com/")]
        assert ours and all(u.startswith(f"{SITE}/") for u in ours), found
    assert messages[1]["List-Unsubscribe"].startswith(f"<{SITE}/mail/unsubscribe/")
    assert messages[2]["List-Unsubscribe"].startswith(f"<{SITE}/mail/unsubscribe/")
