"""Every migration, one at a time, on a database that holds data: rows survive, the app works.

The walk reads the revisions from migrations/versions, so a migration added later is covered
without editing this file. Rows are seeded at the first revision (and cards once their table
exists), through that revision's own tables as reflected from the database.
"""

import uuid
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, func, inspect, select, text

from checkin.events import tickets
from checkin.extensions import db, migrate
from checkin.models import Attendee, utcnow

NOW = utcnow().replace(tzinfo=None, microsecond=0)
SALTS = {"ada": "a" * 32, "grace": "b" * 32, "door": "c" * 32}


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(migrate.get_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def empty_database() -> None:
    db.drop_all()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def insert(table: str, **row) -> int:
    """A row through the table as it is at this revision; its new id."""
    tables = MetaData()
    tables.reflect(db.engine, only=[table])
    rows = tables.tables[table]
    with db.engine.begin() as conn:
        return conn.execute(rows.insert().values(**row).returning(rows.c.id)).scalar_one()


def seed_first_revision() -> dict[str, int]:
    """An organizer, an event, a door pass, two guests with tickets, one of them admitted."""
    ids = {}
    organizer = insert(
        "organizers", email="o@example.org", name="Olga", password_hash="x", created_at=NOW
    )
    event = insert(
        "events", slug="homecoming", name="Homecoming", venue="Alumni Hall",
        starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=4),
        timezone="Europe/Lisbon", organizer_id=organizer, created_at=NOW,
    )  # fmt: skip
    door = insert(
        "door_passes", event_id=event, name="Door 1", salt=SALTS["door"],
        token_hash=tickets.digest(tickets.derive("door", SALTS["door"])),
        created_at=NOW, expires_at=NOW + timedelta(days=1),
    )  # fmt: skip
    for key, name, profile in [("ada", "Ada Lovelace", True), ("grace", "Grace Hopper", None)]:
        ids[key] = insert(
            "attendees", event_id=event, name=name, search_key=name.lower(),
            email=f"{key}@example.org", class_year=2009, major="", residence_hall="Watson",
            clubs="", industry="", interests="", extra={"shirt": "M"}, source="import",
            external_ref=key, created_at=NOW, consent_profile=profile,
            checked_in_at=NOW if key == "grace" else None,
            checked_in_by_id=door if key == "grace" else None,
        )  # fmt: skip
        insert(
            "tickets", attendee_id=ids[key], event_id=event, salt=SALTS[key],
            code_hash=tickets.digest(tickets.derive("ticket", SALTS[key])), issued_at=NOW,
        )  # fmt: skip
    insert(
        "checkin_attempts", event_id=event, nonce="n" * 16, door_pass_id=door,
        attendee_id=ids["grace"], action="scan", result="admitted", device="phone",
        scanned_at=NOW, received_at=NOW, answer={"result": "admitted"},
    )  # fmt: skip
    return {**ids, "event": event}


def seed_cards(ids: dict[str, int]) -> None:
    """Ada's card about Grace, once cards exist."""
    insert(
        "cards", event_id=ids["event"], author_id=ids["ada"], subject_id=ids["grace"],
        nonce="c" * 16, note="Navy", tags=["coffee"], starred=False, via="scan",
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def row_counts() -> dict[str, int]:
    """Rows per table (alembic's own left out)."""
    names = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    with db.engine.connect() as conn:
        return {n: conn.scalar(select(func.count()).select_from(text(n))) for n in names}


def check_in(client, code: str) -> dict:
    return client.post(
        "/api/v1/events/homecoming/checkins",
        json={"code": code, "nonce": str(uuid.uuid4())},
        headers={"Authorization": f"Bearer {tickets.derive('door', SALTS['door'])}"},
    ).get_json()


@pytest.fixture
def walked(app):
    """The database taken from empty to head one revision at a time, seeded on the way."""
    with app.app_context():
        empty_database()
        seen, ids = {}, {}
        for revision in revisions():
            upgrade(revision=revision)
            counts = row_counts()
            lost = {t: (n, counts.get(t)) for t, n in seen.items() if counts.get(t, 0) < n}
            assert not lost, f"{revision} lost rows (before, after): {lost}"
            if not seen:
                ids = seed_first_revision()
            if "cards" in counts and counts["cards"] == 0:
                seed_cards(ids)
            seen = row_counts()
        yield {"counts": seen, "ids": ids}
        db.session.remove()


def test_every_revision_keeps_the_rows_and_head_matches_the_models(app, walked):
    """Seeded tables end with their rows; head is exactly the models' schema."""
    counts = walked["counts"]
    assert counts["attendees"] == 2 and counts["tickets"] == 2 and counts["cards"] == 1
    with app.app_context(), db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []


def test_the_app_works_on_migrated_rows(app, client, walked):
    """A ticket issued at the first revision admits; the admitted guest stays admitted; a yes
    to the old profile question made Ada findable."""
    assert check_in(client, tickets.derive("ticket", SALTS["ada"]))["result"] == "admitted"
    grace = check_in(client, tickets.derive("ticket", SALTS["grace"]))
    assert grace["result"] == "already_admitted" and grace["admitted_by"] == "Door 1"
    with app.app_context():
        ada = db.session.get(Attendee, walked["ids"]["ada"])
        assert ada.consent_findable is True and ada.extra == {"shirt": "M"}
        assert db.session.get(Attendee, walked["ids"]["grace"]).consent_findable is False


def test_downgrade_to_base_and_up_again(app, walked):
    """Each downgrade runs, one at a time, down to an empty database; then head again."""
    with app.app_context():
        for revision in reversed(revisions()[:-1]):
            downgrade(revision=revision)
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
        empty_database()
