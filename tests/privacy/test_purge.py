"""Purging an event: its counts kept, every row and mail file naming its guests deleted (found
from the tables themselves), once however often; by the hourly task past the retention, or by
its organizer after typing its name; and what every link answers afterwards."""

import uuid
from datetime import timedelta

import pytest
from conftest import csrf_token
from sqlalchemy import ForeignKey, func, select
from support.pages import readable

from checkin import tasks
from checkin.accounts import personal_links
from checkin.door import check_in
from checkin.extensions import db
from checkin.imports import storage
from checkin.mail import ticket_mail
from checkin.mail.transport import mail_dir
from checkin.models import (
    Card,
    Event,
    EventTally,
    Guest,
    Organizer,
    Suppression,
    utcnow,
)
from checkin.print import jobs as badge_jobs
from checkin.privacy import purge, retention, tallies


def event_of(slug: str) -> Event:
    """The event with this slug (in an app context)."""
    return db.session.scalar(select(Event).where(Event.slug == slug))


def rows_of_event(event_id: int) -> dict[str, int]:
    """How many rows each table with an event_id holds for this event (in an app context)."""
    return {
        table.name: db.session.scalar(
            select(func.count()).select_from(table).where(table.c.event_id == event_id)
        )
        for table in db.metadata.sorted_tables
        if "event_id" in table.c
    }


@pytest.fixture
def purge_world(app, client, sign_in, make_event, make_guest, make_pass):
    """Alpha (organizer A, signed in): Ada and Grace came (scanned at the door) and recorded
    each other, Alan recorded Ada; everyone was emailed their ticket (mail files); a badge
    sheet and an uploaded list wait. Bravo (organizer B) has Xavier, emailed too."""
    alpha = make_event("Alpha Reunion")
    bravo = make_event("Bravo Reunion", email="b@example.org")
    people, codes = {}, {}
    for key, name in (("ada", "Ada Lovelace"), ("grace", "Grace Hopper"), ("alan", "Alan Turing")):
        people[key], codes[key] = make_guest(alpha, name, email=f"{key}@example.org")
    people["xavier"], codes["xavier"] = make_guest(bravo, "Xavier Xu", email="xavier@example.org")
    door = {slug: make_pass(slug) for slug in (alpha, bravo)}
    with app.app_context():
        event, other = event_of(alpha), event_of(bravo)
        door_pass = check_in.active_pass(door[alpha])
        for key in ("ada", "grace"):
            check_in.check_in_scan(door_pass, codes[key], uuid.uuid4().hex)
        for author, subject in (("ada", "grace"), ("grace", "ada"), ("alan", "ada")):
            db.session.add(
                Card(
                    event_id=event.id,
                    author_id=people[author],
                    subject_id=people[subject],
                    nonce=uuid.uuid4().hex,
                    note=f"{author} met {subject}",
                )
            )
        db.session.commit()
        for found in (event, other):
            ticket_mail.queue(found, None, again=False, batch="")
            ticket_mail.deliver(found.id, [p.id for p in db.session.scalars(select(Guest))])
        badge_jobs.ask(event, "everyone", "letter-6")
        organizer = db.session.get(Organizer, event.organizer_id)
        storage.start(event, organizer, b"name,email\nLin Lee,lin@example.org\n", "list.csv")
        links = {k: personal_links.token_of(personal_links.ensure(db.session.get(Guest, i)))
                 for k, i in people.items()}  # fmt: skip
        ids = {"alpha": event.id, "bravo": other.id}
    sign_in()
    return {
        "alpha": alpha, "bravo": bravo, "ids": ids, "people": people, "codes": codes,
        "door": door, "links": links, "token": csrf_token(client, "/events"),
    }  # fmt: skip


def purge_alpha(app, world, now=None):
    """Purge Alpha as the organizer's "Delete now" does; its tally."""
    with app.app_context():
        return purge.purge(event_of(world["alpha"]), now or utcnow())


def test_the_tally_counts_guests_arrivals_cards_and_mutual_pairs(app, purge_world):
    """Three guests, two came (in this hour, on the venue's clock), three cards, one pair."""
    with app.app_context():
        event = event_of(purge_world["alpha"])
        counts = tallies.count(event)
        hour = retention.local(event, utcnow()).strftime("%Y-%m-%d %H:00")
    assert counts == {
        "guests": 3, "came": 2, "arrivals": {hour: 2}, "cards": 3, "mutual": 1, "digests_sent": 0,
    }  # fmt: skip


def test_purge_deletes_every_row_of_the_event_and_keeps_its_counts(app, purge_world):
    """Every table with an event_id holds nothing of Alpha's but the event and its tally;
    Bravo keeps all of its rows; the event row stays, marked purged."""
    with app.app_context():
        before = rows_of_event(purge_world["ids"]["bravo"])
        assert rows_of_event(purge_world["ids"]["alpha"])["badge_jobs"] == 1
    tally = purge_alpha(app, purge_world)
    assert (tally.guests, tally.came, tally.cards, tally.mutual) == (3, 2, 3, 1)
    with app.app_context():
        left = {k: v for k, v in rows_of_event(purge_world["ids"]["alpha"]).items() if v}
        assert left == {"event_tallies": 1}
        assert rows_of_event(purge_world["ids"]["bravo"]) == before
        event = event_of(purge_world["alpha"])
        assert event.name == "Alpha Reunion" and event.purged_at is not None
        assert db.session.get(Guest, purge_world["people"]["ada"]) is None


def test_every_table_with_an_event_id_is_purged_or_kept_on_purpose(app, ctx):
    """A table added later with an event_id is purged without editing purge.py; the only ones
    kept are named, with why. A table that points at guests goes with them."""
    with_event = {table.name for table in db.metadata.sorted_tables if "event_id" in table.c}
    purged = {table.name for table in purge.purged_tables()}
    assert with_event - purged == {"event_tallies"} and not purged & set(purge.KEPT)
    assert set(purge.KEPT) == {"events", "event_tallies"}  # the event row, and its counts
    assert {"attendees", "checkin_attempts", "outbox", "badge_jobs", "guest_imports"} <= purged
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == "attendees":
                assert key.ondelete in ("CASCADE", "SET NULL"), f"{table.name}.{key.parent.name}"
                if key.ondelete == "SET NULL":  # its rows outlive the guest: the purge needs
                    assert table.name in purged, table.name  # an event_id to find them


def test_a_new_table_with_an_event_id_is_purged_too(app, ctx):
    """The list comes from the metadata: a table defined now is in it."""
    from sqlalchemy import Column, Integer, Table

    Table(
        "later_feature_rows",
        db.metadata,
        Column("id", Integer, primary_key=True),
        Column("event_id", Integer, ForeignKey("events.id")),
    )
    try:
        assert "later_feature_rows" in {t.name for t in purge.purged_tables()}
    finally:
        db.metadata.remove(db.metadata.tables["later_feature_rows"])


def test_purging_twice_changes_nothing(app, purge_world):
    """A second purge finds nothing to delete and keeps the first counts and time."""
    first = purge_alpha(app, purge_world)
    again = purge_alpha(app, purge_world, utcnow() + timedelta(hours=1))
    assert (again.guests, again.cards, again.purged_at) == (3, 3, first.purged_at)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EventTally)) == 1


def test_purge_deletes_the_events_mail_files_only(app, purge_world):
    """The .eml files written for Alpha's guests go; Bravo's stay."""
    with app.app_context():
        alpha, bravo = mail_dir(purge_world["alpha"]), mail_dir(purge_world["bravo"])
    assert len(list(alpha.glob("*.eml"))) == 3 and len(list(bravo.glob("*.eml"))) == 1
    purge_alpha(app, purge_world)
    assert not alpha.exists() and len(list(bravo.glob("*.eml"))) == 1


def test_a_bounced_address_is_forgotten_unless_another_list_holds_it(app, purge_world, make_guest):
    """Ada's bounce goes with Alpha; Grace's stays, since Bravo has her too."""
    make_guest(purge_world["bravo"], "Grace Hopper", email="grace@example.org")
    with app.app_context():
        for email in ("ada@example.org", "grace@example.org"):
            db.session.add(Suppression(email=email, reason="550 no such user"))
        db.session.commit()
    purge_alpha(app, purge_world)
    with app.app_context():
        assert list(db.session.scalars(select(Suppression.email))) == ["grace@example.org"]


def test_the_hourly_task_purges_only_events_past_their_retention(app, purge_world):
    """Past Alpha's period (Bravo's is longer): the task purges Alpha and leaves Bravo."""
    with app.app_context():
        retention.set_days(event_of(purge_world["bravo"]), 365)
        due = retention.purge_at(event_of(purge_world["alpha"]))
        tasks.purge_past_retention.call_local(now=due - timedelta(minutes=1))
        assert event_of(purge_world["alpha"]).purged_at is None
        tasks.purge_past_retention.call_local(now=due)
        assert event_of(purge_world["alpha"]).purged_at == due
        assert event_of(purge_world["bravo"]).purged_at is None


# "Delete now"


def test_delete_now_asks_for_the_events_name(app, client, purge_world):
    """The confirm page says what goes and what stays; a wrong name deletes nothing (422)."""
    url = f"/events/{purge_world['alpha']}/purge"
    page = client.get(url)
    assert page.status_code == 200
    assert "Type the event's name to confirm" in readable(page)
    assert "This cannot be undone" in readable(page)
    wrong = client.post(url, data={"csrf_token": purge_world["token"], "name": "Alpha"})
    assert wrong.status_code == 422 and "Type “Alpha Reunion” exactly" in readable(wrong)
    assert client.post(url, data={"name": "Alpha Reunion"}).status_code == 400  # no token
    with app.app_context():
        assert event_of(purge_world["alpha"]).purged_at is None


def test_delete_now_purges_and_the_event_page_shows_what_remains(app, client, purge_world):
    """The right name (any case) purges; the event page says so and shows the counts."""
    reply = client.post(
        f"/events/{purge_world['alpha']}/purge",
        data={"csrf_token": purge_world["token"], "name": " alpha reunion "},
    )
    assert reply.status_code == 302
    page = client.get(reply.location)
    assert page.status_code == 200
    text = readable(page)
    assert "Personal data deleted" in text and "Guests on the list 3" in text
    assert "Came 2" in text and "Cards recorded 3" in text and "Mutual connections 1" in text
    assert "Ada Lovelace" not in page.text
    listed = readable(client.get("/events"))
    assert "Alpha Reunion" in listed and "Personal data deleted" in listed


def test_another_organizer_cannot_purge_an_event(app, client, purge_world, sign_in):
    """Organizer B: A's confirm page and its POST are 404, and nothing is deleted."""
    other = app.test_client()
    sign_in(email="b@example.org", test_client=other)
    token = csrf_token(other, "/events")
    url = f"/events/{purge_world['alpha']}/purge"
    assert other.get(url).status_code == 404
    reply = other.post(url, data={"csrf_token": token, "name": "Alpha Reunion"})
    assert reply.status_code == 404
    with app.app_context():
        assert event_of(purge_world["alpha"]).purged_at is None
        assert rows_of_event(purge_world["ids"]["alpha"])["attendees"] == 3


# After a purge


@pytest.mark.parametrize(
    "path",
    ["/guests", "/attendees/new", "/badges", "/digest", "/mail", "/import", "/retention",
     "/purge", "/attendance.csv", "/arrivals"],
)  # fmt: skip
def test_the_events_other_pages_say_the_data_is_gone(app, client, purge_world, path):
    """Every organizer page of a purged event but its own answers 410 with the counts."""
    purge_alpha(app, purge_world)
    reply = client.get(f"/events/{purge_world['alpha']}{path}")
    assert reply.status_code == 410, path
    assert "Personal data deleted" in readable(reply)


def test_nothing_new_can_be_added_to_a_purged_event(app, client, purge_world):
    """A guest or a door pass added after the purge is refused (410) and not stored."""
    purge_alpha(app, purge_world)
    base = f"/events/{purge_world['alpha']}"
    token = purge_world["token"]
    assert (
        client.post(
            f"{base}/door-passes", data={"csrf_token": token, "name": "Late", "hours": 2}
        ).status_code
        == 410
    )  # noqa: E501
    assert (
        client.post(
            f"{base}/attendees/new", data={"csrf_token": token, "name": "Lin Lee"}
        ).status_code
        == 410
    )  # noqa: E501
    assert client.get(f"{base}/edit").status_code == 200  # the name and dates stay editable
    with app.app_context():
        assert rows_of_event(purge_world["ids"]["alpha"])["attendees"] == 0
        assert rows_of_event(purge_world["ids"]["alpha"])["door_passes"] == 0


def test_guest_links_tickets_and_door_passes_answer_clearly(app, purge_world, sign_in_guest):
    """After the purge: a personal link is a friendly 404 page; a guest still signed in is
    signed out; the ticket page is 404; the door page and the door API say the pass ended."""
    guest = app.test_client()
    sign_in_guest(guest, purge_world["people"]["ada"])
    purge_alpha(app, purge_world)
    link = guest.get(f"/in/{purge_world['links']['ada']}")
    assert link.status_code == 404 and "link" in readable(link).lower()
    room = guest.get(f"/e/{purge_world['alpha']}/")
    assert room.status_code in (302, 401, 404)
    code = purge_world["codes"]["ada"].rsplit("/", 1)[-1]
    assert guest.get(f"/t/{code}").status_code == 404
    door = purge_world["door"][purge_world["alpha"]]
    page = guest.get(f"/door/{door}/")
    assert page.status_code == 401 and "expired or was revoked" in readable(page)
    api = guest.get(
        f"/api/v1/events/{purge_world['alpha']}/roster",
        headers={"Authorization": f"Bearer {door}"},
    )
    assert api.status_code == 401 and "error" in api.get_json()
