"""The associations migration on a database with today's data: a database built at the revision
before it and filled (organizers with and without events, events, guests, tickets, cards, outbox
rows, door passes) is upgraded; every row is still there, each organizer owns a personal
association holding their events, and each opens their events through the app. Runs on SQLite,
and on PostgreSQL with TEST_DATABASE_URL."""

from datetime import timedelta

import pytest
from alembic.script import ScriptDirectory
from conftest import PASSWORD
from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, Boolean, DateTime, Integer, MetaData, func, inspect, select, text
from sqlalchemy.types import TypeDecorator
from werkzeug.security import generate_password_hash

from checkin.events import tickets
from checkin.extensions import db, migrate
from checkin.models import Association, Event, Membership, utcnow

TEAMS = "b0a4b362d976"  # the migration under test
NOW = utcnow().replace(tzinfo=None, microsecond=0)
KEPT = ("organizers", "events", "attendees", "tickets", "cards", "outbox", "door_passes")


def before_teams() -> str:
    """The revision just before the associations migration."""
    return ScriptDirectory.from_config(migrate.get_config()).get_revision(TEAMS).down_revision


def stand_in(column):
    """A value for a NOT NULL column the seed leaves out, by its type."""
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(kind, DateTime):
        return NOW
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return 0
    return {} if isinstance(kind, JSON) else ""


def insert(table: str, **row) -> int:
    """A row through the table as the old revision has it (other required columns filled)."""
    tables = MetaData()
    tables.reflect(db.engine, only=[table])
    rows = tables.tables[table]
    for column in rows.columns:
        needed = not column.nullable and column.server_default is None and not column.primary_key
        if needed and column.name not in row:
            row[column.name] = stand_in(column)
    with db.engine.begin() as conn:
        return conn.execute(rows.insert().values(**row).returning(rows.c.id)).scalar_one()


def seed_event(organizer: int, slug: str, name: str) -> list[str]:
    """An event with a door pass, two guests with tickets, a card and two outbox rows."""
    event = insert(
        "events", slug=slug, name=name, venue="Alumni Hall", organizer_id=organizer,
        starts_at=NOW + timedelta(days=3), ends_at=NOW + timedelta(days=3, hours=4),
        timezone="Europe/Lisbon", created_at=NOW, retention_days=180,
    )  # fmt: skip
    insert("door_passes", event_id=event, name="Door 1", salt="c" * 32, token_hash=slug,
           created_at=NOW, expires_at=NOW + timedelta(days=4))  # fmt: skip
    guests = []
    for first in ("Ada", "Grace"):
        guest = f"{first} of {name}"
        guests.append(guest)
        row = insert("attendees", event_id=event, name=guest, search_key=guest.lower(),
                          email=f"{first.lower()}.{slug}@example.org", source="import")  # fmt: skip
        salt = f"{slug}-{first}".ljust(32, "x")[:32]
        insert("tickets", attendee_id=row, event_id=event, salt=salt,
               code_hash=tickets.digest(tickets.derive("ticket", salt)), issued_at=NOW)  # fmt: skip
        insert("outbox", event_id=event, attendee_id=row, kind="ticket", batch="press-1",
               recipient=f"{first.lower()}@example.org", status="sent", queued_at=NOW)  # fmt: skip
        if first == "Grace":
            insert("cards", event_id=event, author_id=row, subject_id=row - 1,
                   nonce=f"card-{slug}", note="Navy", tags=["coffee"], via="scan")  # fmt: skip
    return guests


def counts() -> dict[str, int]:
    """Rows in the tables whose data must survive."""
    with db.engine.connect() as conn:
        return {t: conn.scalar(select(func.count()).select_from(text(t))) for t in KEPT}


@pytest.fixture
def migrated(app):
    """Olga (two events), Bob (one, no name) and Carl (none) at the old revision, upgraded."""
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade(revision=before_teams())
        people = {}
        for key, name in (("olga", "Olga"), ("bob", ""), ("carl", "Carl")):
            password = generate_password_hash(PASSWORD)
            people[key] = insert(
                "organizers", email=f"{key}@example.org", name=name, password_hash=password
            )
        guests = {
            "spring": seed_event(people["olga"], "spring", "Spring Mixer"),
            "fall": seed_event(people["olga"], "fall", "Fall Reunion"),
            "bobs": seed_event(people["bob"], "bobs", "Bob's Brunch"),
        }
        before = counts()
        upgrade()
        yield {"people": people, "guests": guests, "before": before}
        db.session.remove()


def test_every_row_is_kept(app, migrated):
    """Organizers, events, guests, tickets, cards, outbox rows and door passes all survive."""
    with app.app_context():
        assert counts() == migrated["before"]
        assert migrated["before"]["cards"] == 3 and migrated["before"]["outbox"] == 6


def test_each_organizer_owns_a_personal_association_with_their_events(app, migrated):
    """One association each, named after them (or their email), owned by them, with their events."""
    people = migrated["people"]
    with app.app_context():
        for key, name, events in (
            ("olga", "Olga's events", {"fall", "spring"}),
            ("bob", "bob@example.org's events", {"bobs"}),
            ("carl", "Carl's events", set()),
        ):
            [membership] = db.session.scalars(
                select(Membership).where(Membership.organizer_id == people[key])
            ).all()
            assert (membership.role, membership.association.name) == ("owner", name)
            held = db.session.scalars(
                select(Event.slug).where(Event.association_id == membership.association_id)
            )
            assert set(held) == events
        assert db.session.scalar(select(func.count()).select_from(Association)) == 3


def test_each_owner_reaches_their_events_through_the_app(app, migrated, sign_in, client):
    """Olga signs in: both events listed, each page, guest list and CSV show their guests, and
    Bob's event is not found."""
    assert sign_in(email="olga@example.org").status_code == 302
    listing = client.get("/events").get_data(as_text=True)
    assert "Spring Mixer" in listing and "Fall Reunion" in listing and "Brunch" not in listing
    for slug in ("spring", "fall"):
        page = client.get(f"/events/{slug}").get_data(as_text=True)
        csv = client.get(f"/events/{slug}/attendance.csv").get_data(as_text=True)
        networking = client.get(f"/events/{slug}/networking.csv")
        for guest in migrated["guests"][slug]:
            assert guest in page and guest in csv
        assert networking.status_code == 200
        assert client.get(f"/events/{slug}/tickets").status_code == 200
    assert client.get("/events/bobs").status_code == 404


def test_downgrade_gives_the_old_schema_back_with_the_rows(app, migrated):
    """One step down, the association tables are gone and every row is still there; up again."""
    with app.app_context():
        downgrade(revision=before_teams())
        names = set(inspect(db.engine).get_table_names())
        assert not {"associations", "memberships", "team_invitations"} & names
        assert counts() == migrated["before"]
        upgrade()
        assert counts() == migrated["before"]
