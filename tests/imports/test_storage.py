"""The import kept in the database: any node serves any step, a token is stored hashed, expires."""

import hashlib
import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import csrf_token
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select, update
from support.pages import readable

from checkin import config, create_app, tasks
from checkin.accounts import users
from checkin.extensions import db
from checkin.imports import storage
from checkin.models import Event, Guest, GuestImport, utcnow

DATA = Path(__file__).parents[1] / "data"
EVENTBRITE = (DATA / "eventbrite-attendee-summary.csv").read_bytes()
PLAIN = (DATA / "plain-name-email.csv").read_bytes()


def count(app, model=Guest) -> int:
    """How many rows of a model there are."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def upload(browser, slug, csrf, data=PLAIN) -> str:
    """Upload a guest list; the preview URL the upload redirects to."""
    response = browser.post(
        f"/events/{slug}/import",
        data={"csrf_token": csrf, "file": (io.BytesIO(data), "guests.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, readable(response)
    return response.headers["Location"]


def fingerprint(response) -> str:
    """The preview digest a preview page gives its confirm button."""
    return re.search(r'name="preview" value="([0-9a-f]*)"', response.get_data(as_text=True))[1]


@pytest.fixture
def signed_in_event(client, sign_in, make_event):
    """The Fall Reunion's slug and a CSRF token, its organizer signed in on `client`."""
    slug = make_event()
    sign_in()
    return slug, csrf_token(client, "/events")


@pytest.fixture
def node_b(database_url, tmp_path):
    """A second app on the same database with its own instance folder, as a second web node."""
    node = create_app(config.TestConfig(database_url, tmp_path / "node-b"))
    yield node
    with node.app_context():
        db.session.remove()
        db.engine.dispose()


def same_browser(node, client):
    """A test client on another node carrying this browser's session cookie."""
    browser = node.test_client()
    browser.set_cookie("session", client.get_cookie("session").value)
    return browser


def test_upload_and_preview_on_one_node_then_remap_and_confirm_on_another(
    app, node_b, client, signed_in_event
):
    """Node A keeps nothing on its disk that node B needs: B remaps and imports A's upload once."""
    slug, csrf = signed_in_event
    assert app.config["INSTANCE_DIR"] != node_b.config["INSTANCE_DIR"]
    on_b = same_browser(node_b, client)
    preview_url = upload(client, slug, csrf, EVENTBRITE)
    assert "Import 228 guests" in readable(client.get(preview_url))
    remapped = on_b.post(preview_url, data={"csrf_token": csrf, "column-9": "extra"})
    assert remapped.status_code == 200 and "Import 240 guests" in readable(remapped)
    form = {"csrf_token": csrf, "column-9": "extra", "preview": fingerprint(remapped)}
    confirmed = on_b.post(preview_url + "/confirm", data=form)
    assert confirmed.status_code == 303 and count(app) == 240
    again = client.post(preview_url + "/confirm", data=form)
    assert again.status_code == 303 and count(app) == 240
    assert "already imported" in readable(client.get(again.headers["Location"]))
    for node in (app, node_b):
        assert not (Path(node.config["INSTANCE_DIR"]) / "imports").exists()


def test_confirms_racing_on_two_nodes_import_once(app, node_b, client, signed_in_event):
    """The same preview confirmed on both nodes at the same moment adds each guest once."""
    slug, csrf = signed_in_event
    preview_url = upload(client, slug, csrf, EVENTBRITE)
    form = {"csrf_token": csrf, "preview": fingerprint(client.get(preview_url))}
    browsers = [same_browser(app, client), same_browser(node_b, client)]
    barrier = threading.Barrier(len(browsers))

    def confirm(browser):
        barrier.wait()
        return browser.post(preview_url + "/confirm", data=form).status_code

    with ThreadPoolExecutor(len(browsers)) as pool:
        assert list(pool.map(confirm, browsers)) == [303, 303]
    assert count(app) == 228


@pytest.mark.parametrize("step", ["preview", "confirm"])
def test_a_preview_older_than_a_day_is_refused_and_deleted(app, client, signed_in_event, step):
    """Past its lifetime the import says it expired (410), imports nothing, and its row is gone."""
    slug, csrf = signed_in_event
    preview_url = upload(client, slug, csrf)
    with app.app_context():
        aged = utcnow() - storage.LIFETIME - (storage.LIFETIME / 24)
        db.session.execute(update(GuestImport).values(created_at=aged))
        db.session.commit()
    url = preview_url + ("/confirm" if step == "confirm" else "")
    response = client.post(url, data={"csrf_token": csrf})
    assert response.status_code == 410
    assert "This import has expired" in readable(response)
    assert "An uploaded guest list is kept for 24 hours." in readable(response)
    assert f'href="/events/{slug}/import"' in response.get_data(as_text=True)
    assert count(app, GuestImport) == 0 and count(app) == 0
    assert client.get(preview_url).status_code == 404


def test_a_preview_just_inside_its_day_still_works(app, client, signed_in_event):
    """An upload a little younger than the lifetime previews as usual."""
    slug, csrf = signed_in_event
    preview_url = upload(client, slug, csrf)
    with app.app_context():
        young = utcnow() - storage.LIFETIME + (storage.LIFETIME / 24)
        db.session.execute(update(GuestImport).values(created_at=young))
        db.session.commit()
    assert client.get(preview_url).status_code == 200


def test_the_database_holds_the_file_and_only_a_hash_of_the_token(app, client, signed_in_event):
    """The row keeps the raw bytes uploaded and the token's SHA-256, never the token itself."""
    slug, csrf = signed_in_event
    token = upload(client, slug, csrf).rsplit("/", 1)[1]
    with app.app_context():
        row = db.session.scalars(select(GuestImport)).one()
        assert row.data == PLAIN and row.filename == "guests.csv"
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        stored = [str(getattr(row, c.key)) for c in GuestImport.__table__.columns]
    assert len(token) == 32 and not any(token in value for value in stored)


def test_another_organizer_can_neither_read_nor_confirm_it(app, client, signed_in_event):
    """The domain finds and confirms a token only for its own organizer and event."""
    slug, csrf = signed_in_event
    token = upload(client, slug, csrf).rsplit("/", 1)[1]
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        rival = users.create_organizer("rival@example.org", "another long passphrase")
        assert storage.find(event, rival, token) is None
        assert storage.confirm(event, rival, token, {}, "") is None
        owner = users.find_by_email("organizer@example.org")
        assert storage.find(event, owner, token).table is not None
    assert count(app) == 0


def test_an_organizer_keeps_at_most_ten_waiting_uploads(app, client, signed_in_event):
    """An eleventh upload drops the oldest waiting one, so the table cannot grow without end."""
    slug, csrf = signed_in_event
    urls = [upload(client, slug, csrf) for _ in range(storage.KEPT_PER_ORGANIZER + 1)]
    assert client.get(urls[0]).status_code == 404
    assert client.get(urls[1]).status_code == client.get(urls[-1]).status_code == 200
    assert count(app, GuestImport) == storage.KEPT_PER_ORGANIZER


def test_an_upload_and_the_hourly_job_purge_imports_older_than_a_day(app, client, signed_in_event):
    """Old rows go when anyone uploads, and on the worker's hourly purge."""
    slug, csrf = signed_in_event
    upload(client, slug, csrf)
    with app.app_context():
        db.session.execute(update(GuestImport).values(created_at=utcnow() - 2 * storage.LIFETIME))
        db.session.commit()
    upload(client, slug, csrf)
    assert count(app, GuestImport) == 1
    with app.app_context():
        db.session.execute(update(GuestImport).values(created_at=utcnow() - 2 * storage.LIFETIME))
        db.session.commit()
        tasks.purge_imports()
    assert count(app, GuestImport) == 0


def test_the_migration_adds_and_drops_the_table(app, make_event):
    """d2c3ea69a65a upgrades from c81a1d9f11b7 (with a row in it) and downgrades back."""
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(revision="c81a1d9f11b7")
        assert not inspect(db.engine).has_table("guest_imports")
        upgrade()
        assert inspect(db.engine).has_table("guest_imports")
    slug = make_event()
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        organizer = users.find_by_email("organizer@example.org")
        storage.start(event, organizer, PLAIN, "guests.csv")
        db.session.remove()
        downgrade(revision="c81a1d9f11b7")
        assert not inspect(db.engine).has_table("guest_imports")
        assert inspect(db.engine).has_table("events")
        upgrade()
        assert inspect(db.engine).get_indexes("guest_imports")
