"""Rate limits through the real endpoints: per client address, per account, shared by nodes."""

import logging
import os
import time
import uuid
from contextlib import contextmanager

import pytest
import redis
from conftest import PASSWORD, csrf_token, fresh_app
from support.pages import body as page

from checkin import config, create_app, rate_limits
from checkin.accounts import users
from checkin.extensions import db

ORGANIZER = "organizer@example.org"
GUEST_ROOM = "203.0.113.7"  # a venue's one public address


@pytest.fixture
def prefix():
    """A key prefix of this test's own, so parallel runs never share a count."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["memory", "redis"])
def storage(request, prefix):
    """Where counts live: this process's memory, or the test Redis (db 15), cleaned after."""
    if request.param == "memory":
        yield "memory://"
        return
    url = os.environ.get("TEST_REDIS_URL") or pytest.skip(
        "TEST_REDIS_URL is not set, so there is no Redis to count in (.ci/run sets it)"
    )
    yield url
    store = redis.Redis.from_url(url)
    for key in store.scan_iter(f"LIMITS:LIMITER/{prefix}/*"):
        store.delete(key)


def limits_on(storage, prefix, **settings):
    """Settings that turn limits on, counted in `storage` under `prefix`."""
    return dict(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=storage,
        RATELIMIT_KEY_PREFIX=prefix,
        **settings,
    )


@pytest.fixture
def limited_with_store(database_url, tmp_path, storage, prefix):
    """The app with limits on, counted in `storage` (memory or Redis) under this test's prefix,
    and an organizer in it."""
    with fresh_app(database_url, tmp_path / "a", **limits_on(storage, prefix)) as app:
        with app.app_context():
            users.create_organizer(ORGANIZER, PASSWORD)
        yield app


@contextmanager
def another_node(app, instance):
    """A second app on the same database and rate-limit storage, as a second machine runs."""
    settings = config.TestConfig(app.config["SQLALCHEMY_DATABASE_URI"], instance)
    for name in ("RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI", "RATELIMIT_KEY_PREFIX"):
        setattr(settings, name, app.config[name])
    node = create_app(settings)
    try:
        yield node
    finally:
        with node.app_context():
            db.engine.dispose()


class Visitor:
    """A browser at one client address, posting the sign-in form."""

    def __init__(self, app, address="198.51.100.1", **headers):
        self.client = app.test_client()
        self.client.environ_base.update(REMOTE_ADDR=address)
        self.headers = headers
        self.token = csrf_token(self.client)

    def sign_in(self, email=ORGANIZER, password="wrong password"):
        """Submit the sign-in form; returns the reply."""
        data = {"email": email, "password": password, "csrf_token": self.token}
        return self.client.post("/sign-in", data=data, headers=self.headers)

    def statuses(self, times, **form):
        return [self.sign_in(**form).status_code for _ in range(times)]


@contextmanager
def clock_moved(monkeypatch, seconds):
    """The clock `seconds` ahead for what runs inside (the counts' windows read time.time)."""
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + seconds)
    yield
    monkeypatch.undo()


# Per account and address, per account, per address


def test_five_failures_for_one_account_from_one_address_then_wait(limited_with_store):
    """The sixth try answers 429 with Retry-After and a page saying when to try again."""
    visitor = Visitor(limited_with_store)
    assert visitor.statuses(5) == [422] * 5
    reply = visitor.sign_in()
    assert reply.status_code == 429
    assert 0 < int(reply.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins for this account. Try again in 15 minutes." in page(reply)
    assert visitor.sign_in(password=PASSWORD).status_code == 429  # the right password waits too
    assert visitor.client.get("/sign-in").status_code == 200  # only attempts are limited


def test_two_addresses_have_separate_counts(limited_with_store):
    """Five failures from one address do not spend another address's budget."""
    assert Visitor(limited_with_store, "198.51.100.1").statuses(6) == [422] * 5 + [429]
    assert Visitor(limited_with_store, "198.51.100.2").statuses(2) == [422, 422]


def test_a_forged_forwarded_for_does_not_change_the_key(limited_with_store):
    """From an untrusted peer, X-Forwarded-For is ignored: new values give no new budget."""
    statuses = [
        Visitor(limited_with_store, "198.51.100.1", **{"X-Forwarded-For": f"10.0.0.{i}"}).sign_in()
        for i in range(6)
    ]
    assert [reply.status_code for reply in statuses] == [422] * 5 + [429]


def test_a_guesser_from_many_addresses_is_throttled_per_account(limited_with_store):
    """Ten failures for one account from ten addresses: the eleventh address is refused too."""
    for i in range(10):
        assert Visitor(limited_with_store, f"192.0.2.{i}").sign_in().status_code == 422
    latecomer = Visitor(limited_with_store, "192.0.2.200")
    assert latecomer.sign_in().status_code == 429
    assert latecomer.sign_in(email="other@example.org").status_code == 422  # other accounts go on


def test_one_address_trying_many_accounts_is_throttled(limited_with_store):
    """Thirty failures from one address over any accounts, then 429 from there."""
    sprayer = Visitor(limited_with_store, "192.0.2.99")
    statuses = [sprayer.sign_in(email=f"person{i}@example.org").status_code for i in range(31)]
    assert statuses == [422] * 30 + [429]
    assert "Too many failed sign-ins from here." in page(sprayer.sign_in())
    assert Visitor(limited_with_store, "192.0.2.98").sign_in().status_code == 422


def test_a_successful_sign_in_is_not_counted(limited_with_store):
    """Four failures, a success, a sign-out: the next failure is the fifth, not the sixth."""
    visitor = Visitor(limited_with_store)
    assert visitor.statuses(4) == [422] * 4
    assert visitor.sign_in(password=PASSWORD).status_code == 302
    visitor.client.post("/sign-out", data={"csrf_token": visitor.token})
    assert visitor.statuses(2) == [422, 429]


@pytest.mark.parametrize("storage", ["memory"], indirect=True)
def test_the_window_ends_and_the_organizer_gets_in(limited_with_store, monkeypatch):
    """Refused now; fifteen minutes later the right password works (no lasting lock-out)."""
    visitor = Visitor(limited_with_store)
    assert visitor.statuses(6) == [422] * 5 + [429]
    with clock_moved(monkeypatch, 14 * 60):
        assert visitor.sign_in(password=PASSWORD).status_code == 429
    with clock_moved(monkeypatch, 15 * 60 + 1):
        assert visitor.sign_in(password=PASSWORD).status_code == 302


# Two nodes


@pytest.mark.parametrize("storage", ["redis"], indirect=True)
def test_two_nodes_share_one_count_in_redis(limited_with_store, tmp_path):
    """Failures on one node count on the other: three here and two there, then both refuse."""
    with another_node(limited_with_store, tmp_path / "b") as other:
        here, there = Visitor(limited_with_store), Visitor(other)
        assert here.statuses(3) + there.statuses(2) == [422] * 5
        assert here.sign_in().status_code == 429
        assert there.sign_in().status_code == 429


@pytest.mark.parametrize("storage", ["memory"], indirect=True)
def test_two_nodes_in_memory_count_apart(limited_with_store, tmp_path):
    """Without Redis each app counts alone, which is why production wants REDIS_URL."""
    with another_node(limited_with_store, tmp_path / "b") as other:
        assert Visitor(limited_with_store).statuses(6) == [422] * 5 + [429]
        assert Visitor(other).statuses(1) == [422]


# A venue's guests behind one address


def test_a_room_of_guests_behind_one_address_can_all_ask_for_their_link(limited_with_store):
    """Sixty guests a minute from the venue's address are all served; the next one waits."""
    client = limited_with_store.test_client()
    client.environ_base.update(REMOTE_ADDR=GUEST_ROOM)
    token = csrf_token(client, "/link-again")

    def ask(email):
        return client.post("/link-again", data={"csrf_token": token, "email": email})

    assert [ask(f"guest{i}@example.org").status_code for i in range(60)] == [200] * 60
    reply = ask("grace@example.org")
    assert reply.status_code == 429
    assert 0 < int(reply.headers["Retry-After"]) <= 60
    assert "Too many requests for a link. Try again in" in page(reply)


# Storage trouble and warnings


def test_unreachable_redis_does_not_take_the_site_down(database_url, tmp_path, prefix, caplog):
    """Redis refusing connections: pages answer, and limits still hold in this process."""
    settings = limits_on("redis://127.0.0.1:1/15", prefix)
    with fresh_app(database_url, tmp_path / "a", **settings) as app:
        visitor = Visitor(app)
        assert visitor.statuses(6) == [422] * 5 + [429]
        assert visitor.client.get("/sign-in").status_code == 200
    assert "falling back to in-memory storage" in caplog.text


@pytest.mark.parametrize(
    "base_url, storage_uri, argv, warned",
    [
        ("https://checkin.example.org", "memory://", ["gunicorn", "--workers", "3"], True),
        ("https://checkin.example.org", "memory://", ["gunicorn", "-w", "1"], False),
        (
            "https://checkin.example.org",
            "redis://127.0.0.1:6379/15",
            ["gunicorn", "-w", "3"],
            False,
        ),
        ("http://127.0.0.1:5000", "memory://", ["gunicorn", "--workers=3"], False),
    ],
)
def test_production_warns_when_workers_count_apart(
    database_url, tmp_path, monkeypatch, caplog, base_url, storage_uri, argv, warned
):
    """An https site with several workers and no Redis says so at start, in one line."""
    monkeypatch.setattr("sys.argv", argv)
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("GUNICORN_CMD_ARGS", raising=False)
    settings = limits_on(storage_uri, "unused", BASE_URL=base_url)
    caplog.set_level(logging.WARNING, logger="checkin.limits")
    with fresh_app(database_url, tmp_path / "a", **settings):
        pass
    lines = [r.getMessage() for r in caplog.records if r.name == "checkin.limits"]
    expected = [
        "Rate limits are counted in each of 3 workers' memory: set REDIS_URL to share them."
    ]
    assert lines == (expected if warned else [])


@pytest.mark.parametrize(
    "argv, environment, workers",
    [
        (["flask", "run"], {}, 1),
        (["gunicorn", "-w", "4", "checkin:create_app()"], {}, 4),
        (["gunicorn", "checkin:create_app()"], {"WEB_CONCURRENCY": "5"}, 5),
        (["gunicorn"], {"GUNICORN_CMD_ARGS": "--bind 0.0.0.0:80 --workers 2"}, 2),
    ],
)
def test_gunicorn_workers_are_read_as_gunicorn_reads_them(monkeypatch, argv, environment, workers):
    """-w/--workers on the command line or GUNICORN_CMD_ARGS, else WEB_CONCURRENCY, else 1."""
    for name in ("WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert rate_limits.gunicorn_workers(argv) == workers


# The log of failed sign-ins


def test_a_failed_sign_in_is_logged_without_the_password(app, client, caplog):
    """checkin.auth logs the email as typed (cut short) and the address; never the password."""
    email = "a" * 60 + "@" + "b" * 60 + ".example.org"
    secret = "hunter2-do-not-log-me"
    caplog.set_level(logging.WARNING, logger="checkin.auth")
    token = csrf_token(client)
    client.environ_base.update(REMOTE_ADDR="198.51.100.23")
    reply = client.post("/sign-in", data={"email": email, "password": secret, "csrf_token": token})
    assert reply.status_code == 422
    [record] = [r for r in caplog.records if r.name == "checkin.auth"]
    assert record.levelno == logging.WARNING
    assert repr(email[:100]) in record.getMessage() and email not in record.getMessage()
    assert "198.51.100.23" in record.getMessage()
    assert secret not in caplog.text


def test_a_successful_sign_in_is_not_logged_as_failed(client, make_organizer, caplog):
    """Only failures are logged."""
    make_organizer(ORGANIZER)
    caplog.set_level(logging.WARNING, logger="checkin.auth")
    token = csrf_token(client)
    data = {"email": ORGANIZER, "password": PASSWORD, "csrf_token": token}
    assert client.post("/sign-in", data=data).status_code == 302
    assert not [r for r in caplog.records if r.name == "checkin.auth"]
