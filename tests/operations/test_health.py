"""GET /healthz: 200 when the database and the job queue answer, 503 naming what does not."""

import os
import socket

import pytest
from conftest import fresh_app
from huey.storage import RedisStorage

from checkin import config, create_app, tasks


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def use_queue(monkeypatch, tmp_path):
    """Use a real queue storage instead of the tests' in-memory immediate mode."""
    monkeypatch.setattr(tasks.huey, "immediate", False)  # before storage: the setter resets it

    def use(storage):
        monkeypatch.setattr(tasks.huey, "storage", storage)

    use(tasks.QueueFile("checkin", filename=str(tmp_path / "instance" / "huey.sqlite")))
    return use


def test_all_well_is_ok_and_stateless(client, use_queue):
    """200 {"status": "ok"}, not stored by caches, and no cookie set."""
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.get_json() == {"status": "ok"}
    assert reply.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in reply.headers


def test_a_queue_in_redis_that_answers_is_ok(client, use_queue):
    """REDIS_URL's Redis answering: 200."""
    url = os.environ.get("TEST_REDIS_URL") or pytest.skip(
        "TEST_REDIS_URL is not set, so there is no Redis to check (.ci/run sets it)"
    )
    use_queue(RedisStorage("checkin-health-test", url=url))
    assert client.get("/healthz").status_code == 200


def test_a_stopped_queue_is_named(client, use_queue):
    """Redis on a closed port: 503 naming the queue, and nothing about where it is."""
    use_queue(RedisStorage("checkin", url=f"redis://127.0.0.1:{closed_port()}/15"))
    reply = client.get("/healthz")
    assert reply.status_code == 503
    assert reply.get_json() == {"status": "failing", "failing": ["queue"]}
    assert reply.headers["Cache-Control"] == "no-store"


def missing_database(database_url, tmp_path) -> str:
    """A database that cannot be opened: an absent PostgreSQL database, or a file in no folder."""
    if database_url.startswith("postgresql"):
        return database_url.rsplit("/", 1)[0] + "/checkin_no_such_database"
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'checkin.sqlite'}"


def test_a_database_that_does_not_answer_is_named(database_url, tmp_path, use_queue):
    """503 naming the database; the answer holds no address, name or error text."""
    url = missing_database(database_url, tmp_path)
    app = create_app(config.TestConfig(url, tmp_path / "instance"))
    reply = app.test_client().get("/healthz")
    assert reply.status_code == 503
    assert reply.get_json() == {"status": "failing", "failing": ["database"]}
    assert b"no_such" not in reply.data and b"no-such" not in reply.data


def test_not_rate_limited(database_url, tmp_path, use_queue):
    """With rate limits on, a monitor polling every second for half a minute is never refused."""
    with fresh_app(database_url, tmp_path / "instance", RATELIMIT_ENABLED=True) as app:
        client = app.test_client()
        assert {client.get("/healthz").status_code for _ in range(30)} == {200}
