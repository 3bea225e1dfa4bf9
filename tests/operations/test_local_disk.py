"""In production, what stays on one node's disk is said at start, once per warning."""

import logging

import pytest
from conftest import fresh_app

HTTPS = "https://checkin.example.org"
SMTP = "smtp://127.0.0.1:2525"


def started(database_url, tmp_path, caplog, **settings) -> list[str]:
    """The warnings an app logs while it is built with these settings."""
    caplog.clear()
    with caplog.at_level(logging.WARNING), fresh_app(database_url, tmp_path / "i", **settings):
        return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


@pytest.fixture
def no_redis(monkeypatch):
    """REDIS_URL unset, as on a machine without Redis."""
    monkeypatch.delenv("REDIS_URL", raising=False)


def test_production_without_smtp_warns_that_mail_stays_on_this_node(
    database_url, tmp_path, caplog, no_redis
):
    """An https BASE_URL and no SMTP_URL: a warning names the folder the mail goes to."""
    logged = started(database_url, tmp_path, caplog, BASE_URL=HTTPS, SMTP_URL="")
    mail = [line for line in logged if line.startswith("SMTP_URL is not set")]
    assert len(mail) == 1
    assert str(tmp_path / "i" / "mail") in mail[0] and "on this node's disk only" in mail[0]


def test_production_without_redis_warns_that_jobs_stay_on_this_node(
    database_url, tmp_path, caplog, no_redis
):
    """An https BASE_URL and no REDIS_URL: a warning names the queue file."""
    logged = started(database_url, tmp_path, caplog, BASE_URL=HTTPS, SMTP_URL=SMTP)
    assert len(logged) == 1 and logged[0].startswith("REDIS_URL is not set")
    assert str(tmp_path / "i" / "huey.sqlite") in logged[0] and "this node only" in logged[0]


def test_production_with_smtp_and_redis_warns_of_nothing(
    database_url, tmp_path, caplog, monkeypatch
):
    """SMTP_URL and REDIS_URL set: nothing stays on the node, nothing is said."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    assert started(database_url, tmp_path, caplog, BASE_URL=HTTPS, SMTP_URL=SMTP) == []


def test_plain_http_development_warns_of_nothing(database_url, tmp_path, caplog, no_redis):
    """On a laptop (http BASE_URL) mail files and the SQLite queue are the point: no warning."""
    assert started(database_url, tmp_path, caplog, BASE_URL="http://127.0.0.1:5000") == []
