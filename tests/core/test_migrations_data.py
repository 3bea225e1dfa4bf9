"""Every migration, one at a time, on a database that holds data: rows survive, the app works.

The walk reads the revisions from migrations/versions, so a migration added later is covered
without editing this file. Rows are seeded at the first revision (and cards and ticket emails
once their tables exist), through that revision's own tables as reflected from the database.
A table a migration folds into another (MOVED) may go, if the other gains its rows.
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
from checkin.mail import ticket_mail
from checkin.models import Event, Guest, Outbox, utcnow

NOW = utcnow().replace(tzinfo=None, microsecond=0)
SALTS = {"ada": "a" * 32, "grace": "b" * 32, "door": "c" * 32}
MOVED = {"ticket_mails": "outbox"}  # ticket emails became outbox rows


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


def seed_ticket_mails(ids: dict[str, int]) -> None:
    """Ada's ticket email sent by a press of Send tickets; Grace's, sent alone, refused."""
    for key, status, batch, error in [
        ("ada", "sent", "press-1", ""),
        ("grace", "failed", "", "550"),
    ]:
        insert(
            "ticket_mails", event_id=ids["event"], attendee_id=ids[key], status=status,
            recipient=f"{key}@example.org", batch=batch, error=error, queued_at=NOW,
            claimed_at=NOW, sent_at=NOW if status == "sent" else None,
        )  # fmt: skip


def lost_rows(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple]:
    """Tables with fewer rows than before, a moved table's rows counted in its new table."""
    expected = dict(before)
    for gone, into in MOVED.items():
        if gone in expected and gone not in after:
            expected[into] = expected.get(into, 0) + expected.pop(gone)
    return {t: (n, after.get(t)) for t, n in expected.items() if after.get(t, 0) < n}


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
            lost = lost_rows(seen, counts)
            assert not lost, f"{revision} lost rows (before, after): {lost}"
            if not seen:
                ids = seed_first_revision()
            if "cards" in counts and counts["cards"] == 0:
                seed_cards(ids)
            if counts.get("ticket_mails") == 0:
                seed_ticket_mails(ids)
            seen = row_counts()
        yield {"counts": seen, "ids": ids}
        db.session.remove()


def test_every_revision_keeps_the_rows_and_head_matches_the_models(app, walked):
    """Seeded tables end with their rows; head is exactly the models' schema."""
    counts = walked["counts"]
    assert counts["attendees"] == 2 and counts["tickets"] == 2 and counts["cards"] == 1
    assert "ticket_mails" not in counts and counts["outbox"] == 2
    with app.app_context(), db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []


def test_the_app_works_on_migrated_rows(app, client, walked):
    """A ticket issued at the first revision admits; the admitted guest stays admitted; a yes
    to the old profile question made Ada findable."""
    assert check_in(client, tickets.derive("ticket", SALTS["ada"]))["result"] == "admitted"
    grace = check_in(client, tickets.derive("ticket", SALTS["grace"]))
    assert grace["result"] == "already_admitted" and grace["admitted_by"] == "Door 1"
    with app.app_context():
        ada = db.session.get(Guest, walked["ids"]["ada"])
        assert ada.consent_findable is True and ada.extra == {"shirt": "M"}
        assert db.session.get(Guest, walked["ids"]["grace"]).consent_findable is False


def test_ticket_emails_moved_into_the_outbox(app, walked):
    """The ticket_mails rows are outbox rows of kind "ticket", status, batch and why kept; the
    organizer's count reads them: Ada sent, Grace failed with the server's answer."""
    with app.app_context():
        rows = db.session.scalars(select(Outbox).order_by(Outbox.attendee_id)).all()
        assert [(r.kind, r.status, r.recipient) for r in rows] == [
            ("ticket", "sent", "ada@example.org"),
            ("ticket", "failed", "grace@example.org"),
        ]
        assert rows[0].batch == "press-1" and rows[1].batch != "" and rows[1].reason == "550"
        summary = ticket_mail.summary(db.session.get(Event, walked["ids"]["event"]))
        assert (summary.sent, summary.waiting, summary.failed) == (1, 0, 1)


def test_downgrading_the_outbox_gives_the_ticket_emails_back(app, walked):
    """One step down from the one outbox, the ticket rows are ticket_mails rows again."""
    with app.app_context():
        downgrade(revision="d2c3ea69a65a")  # the revision before the one outbox
        with db.engine.connect() as conn:
            back = conn.execute(text("SELECT recipient, status, batch, error FROM ticket_mails"))
            assert sorted(back.all()) == [
                ("ada@example.org", "sent", "press-1", ""),
                ("grace@example.org", "failed", "", "550"),
            ]
            assert conn.scalar(text("SELECT count(*) FROM outbox")) == 0
        upgrade()


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
