"""`flask --app checkin backup FILE` restored into a fresh database: door, cards, digests work."""

import subprocess
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from conftest import closing
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from support.digests import make_party

from checkin import create_app
from checkin.accounts import personal_links
from checkin.config import TestConfig as RestoredConfig
from checkin.extensions import db
from checkin.models import Card, CheckInAttempt, Guest


@pytest.fixture
def before(app, make_event, make_guest, set_guest, make_pass):
    """The party (cards, digest readers), a guest not yet in, and a door pass: all pre-backup."""
    party = make_party(make_event, make_guest, set_guest, app)
    guest_id, code = make_guest(party.slug, "Nia Newcomer", 2020)
    return {"party": party, "guest": guest_id, "code": code, "token": make_pass(party.slug)}


@contextmanager
def restored_database(backup: Path, server_url: str):
    """The SQLite backup file itself, or a new PostgreSQL database restored by pg_restore."""
    if server_url.startswith("sqlite"):
        yield f"sqlite:///{backup}"
        return
    url = make_url(server_url)
    name = f"checkin_restore_{uuid.uuid4().hex[:10]}"
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    target = url.set(database=name).render_as_string(hide_password=False)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={target}", str(backup)],
            check=True,
            capture_output=True,
        )
        yield target
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def restored(backup: Path, database_url: str, instance: Path):
    """The app on a fresh database made from the backup, with the same SECRET_KEY."""
    with (
        restored_database(backup, database_url) as url,
        closing(create_app(RestoredConfig(url, instance))) as app,
    ):
        yield app


def test_a_restored_backup_admits_records_cards_and_sends_digests(
    app, runner, before, database_url, tmp_path
):
    """Backup, restore into a new database: the pre-backup ticket admits, a card is recorded,
    the digests go out."""
    backup = tmp_path / "checkin.backup"
    made = runner.invoke(args=["backup", str(backup)])
    assert made.exit_code == 0, made.output
    assert "Keep SECRET_KEY with it" in made.output
    with restored(backup, database_url, tmp_path / "restored") as app2:
        client = app2.test_client()
        door = client.post(
            f"/api/v1/events/{before['party'].slug}/checkins",
            json={"code": before["code"], "nonce": str(uuid.uuid4())},
            headers={"Authorization": f"Bearer {before['token']}"},
        )
        assert door.status_code == 200 and door.get_json()["result"] == "admitted"
        token = sign_in(app2, client, before["guest"])
        grace = before["party"].ids["grace"]
        card = client.post(
            f"/api/v1/events/{before['party'].slug}/cards",
            json={"attendee_id": grace, "nonce": str(uuid.uuid4())},
            headers={"X-CSRFToken": token},
        )
        assert card.status_code == 201, card.get_data(as_text=True)
        sent = app2.test_cli_runner().invoke(
            args=["send-digests", "--event", before["party"].slug, "--now"]
        )
        assert sent.output.startswith("Digests: 3 sent, 3 skipped, 0 failed"), sent.output
        assert len(list((tmp_path / "restored" / "mail").rglob("*.eml"))) >= 3
        with app2.app_context():
            assert db.session.scalar(select(func.count()).select_from(Card)) == 4


def sign_in(app, client, attendee_id) -> str:
    """Sign the client in as the guest (as their link's POST would); a CSRF token back."""
    with app.app_context():
        link = personal_links.ensure(db.session.get(Guest, attendee_id))
        user_id = f"guest:{attendee_id}:{link.id}"
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user_id, True
    html = client.get("/sign-in").get_data(as_text=True)
    marker = '<meta name="csrf-token" content="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_an_sqlite_backup_is_consistent_while_the_door_writes(app, runner, before, tmp_path):
    """Check-ins keep arriving during the backup: the copy passes SQLite's integrity check."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's online backup; PostgreSQL's pg_dump reads one snapshot by design")
    stop, client = threading.Event(), app.test_client()

    def scan():
        client.post(
            f"/api/v1/events/{before['party'].slug}/checkins",
            json={"code": before["code"], "nonce": str(uuid.uuid4())},
            headers={"Authorization": f"Bearer {before['token']}"},
        )

    def scan_until_stopped():
        while not stop.is_set():
            scan()

    scan()
    writer = threading.Thread(target=scan_until_stopped)
    writer.start()
    try:
        made = [runner.invoke(args=["backup", str(tmp_path / f"b{i}.sqlite")]) for i in range(3)]
    finally:
        stop.set()
        writer.join()
    assert [m.exit_code for m in made] == [0, 0, 0]
    for i in range(3):
        backup = tmp_path / f"b{i}.sqlite"
        with restored(backup, "sqlite", tmp_path / "restored") as copy, copy.app_context():
            assert db.session.execute(db.text("PRAGMA integrity_check")).scalar() == "ok"
            attempts = db.session.scalar(select(func.count()).select_from(CheckInAttempt))
            assert attempts >= 1  # the scan made before the backup at least


@pytest.mark.parametrize("name", ["exists.sqlite", "no-folder/x.sqlite"])
def test_a_backup_never_overwrites_or_guesses(runner, tmp_path, name):
    """An existing file or a missing folder: a clear error, exit status 1, nothing written."""
    (tmp_path / "exists.sqlite").write_text("keep me")
    made = runner.invoke(args=["backup", str(tmp_path / name)])
    assert made.exit_code == 1
    assert "exists already" in made.output or "There is no folder" in made.output
    assert (tmp_path / "exists.sqlite").read_text() == "keep me"
