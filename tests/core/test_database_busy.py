"""A busy or restarted database: 503 with Retry-After, not a hang; nothing half-written."""

import fcntl
import uuid
from pathlib import Path

import psycopg
import pytest
from conftest import fresh_app
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from checkin.extensions import db
from checkin.models import CheckInAttempt, Guest
from checkin.operations import unavailable

WAITS = {"DATABASE_WRITE_WAIT": 0.3, "DATABASE_LOCK_TIMEOUT": 0.3}


@pytest.fixture
def app(database_url, tmp_path):
    """The app waiting 0.3 s at most for a write lock (overrides conftest's: make_event uses it)."""
    with fresh_app(database_url, tmp_path / "instance", **WAITS) as app:
        yield app


@pytest.fixture
def one_door(make_event, make_guest, make_pass):
    """An event with one guest and one door pass, on this module's app."""
    slug = make_event()
    attendee_id, code = make_guest(slug, "Ada Lovelace", 2009)
    return {"slug": slug, "code": code, "token": make_pass(slug), "id": attendee_id}


def check_in(client, door, nonce):
    return client.post(
        f"/api/v1/events/{door['slug']}/checkins",
        json={"code": door["code"], "nonce": nonce},
        headers={"Authorization": f"Bearer {door['token']}"},
    )


def written(app) -> tuple[int, bool]:
    """How many check-in attempts are stored, and whether Ada is in."""
    with app.app_context():
        attempts = db.session.scalar(select(func.count()).select_from(CheckInAttempt))
        admitted = db.session.scalar(select(Guest.checked_in_at)) is not None
        db.session.remove()
        return attempts, admitted


def admin_url(app) -> str:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def test_a_sqlite_writer_that_waits_too_long_answers_503(app, client, one_door, database_url):
    """Another process holding the write lock: 503 + Retry-After, nothing written; then it works."""
    if not database_url.startswith("sqlite"):
        pytest.skip("The write-lock file is SQLite's; PostgreSQL has lock_timeout (below)")
    lock_path = Path(make_url(database_url).database).with_suffix(".writelock")
    nonce = str(uuid.uuid4())
    with open(lock_path, "a") as held:  # another open file: to flock, another process
        fcntl.flock(held, fcntl.LOCK_EX)
        reply = check_in(client, one_door, nonce)
        assert reply.status_code == 503
        assert reply.headers["Retry-After"] == unavailable.RETRY_AFTER
        assert "nothing was saved" in reply.get_json()["error"]
        assert written(app) == (0, False)
    again = check_in(client, one_door, nonce)
    assert again.status_code == 200 and again.get_json()["result"] == "admitted"
    assert written(app) == (1, True)


def test_a_postgresql_lock_wait_ends_in_503(app, client, one_door, database_url):
    """A row locked by another connection: lock_timeout, then 503 + Retry-After, nothing written."""
    if database_url.startswith("sqlite"):
        pytest.skip("lock_timeout is PostgreSQL's; SQLite's write wait is tested above")
    nonce = str(uuid.uuid4())
    with psycopg.connect(admin_url(app)) as other:
        other.execute("SELECT 1 FROM attendees WHERE id = %s FOR UPDATE", (one_door["id"],))
        reply = check_in(client, one_door, nonce)
        assert reply.status_code == 503
        assert reply.headers["Retry-After"] == unavailable.RETRY_AFTER
        other.rollback()
    assert written(app) == (0, False)
    assert check_in(client, one_door, nonce).get_json()["result"] == "admitted"


def test_a_postgresql_statement_that_runs_too_long_is_stopped(database_url, tmp_path):
    """statement_timeout is set on every connection; past it the statement fails as busy."""
    if database_url.startswith("sqlite"):
        pytest.skip("statement_timeout is PostgreSQL's")
    settings = {"DATABASE_STATEMENT_TIMEOUT": 0.2, "DATABASE_LOCK_TIMEOUT": 0.1}
    with fresh_app(database_url, tmp_path / "instance", **settings) as app, app.app_context():
        assert db.session.scalar(text("SHOW statement_timeout")) == "200ms"
        assert db.session.scalar(text("SHOW lock_timeout")) == "100ms"
        with pytest.raises(OperationalError) as stopped:
            db.session.execute(text("SELECT pg_sleep(3)"))
        assert unavailable.is_busy(stopped.value)


def test_connections_survive_a_postgresql_restart(app, client, one_door, database_url):
    """Every server connection of the app ended (as a restart does): the next request works."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no server connections to lose")
    assert client.get("/healthz").status_code == 200  # leaves a connection in the pool
    with psycopg.connect(admin_url(app), autocommit=True) as other:
        ended = other.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert ended >= 1
    reply = check_in(client, one_door, str(uuid.uuid4()))
    assert reply.status_code == 200 and reply.get_json()["result"] == "admitted"


def test_the_door_api_document_lists_503(client):
    """The OpenAPI document says a check-in may answer 503 with Retry-After."""
    spec = client.get("/api/v1/openapi.json").get_json()
    busy = spec["paths"]["/events/{slug}/checkins"]["post"]["responses"]["503"]
    assert "Retry-After" in busy["headers"]
