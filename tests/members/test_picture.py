"""The association's picture: counts per event for its team, viewers included; no one else."""

import uuid

from conftest import PASSWORD
from sqlalchemy import select

from checkin.accounts import users
from checkin.associations import teams
from checkin.database import writing
from checkin.extensions import db
from checkin.members import memory, picture
from checkin.models import Association, Event, Guest, Membership, Outbox, utcnow
from checkin.privacy import purge
from checkin.room import cards


def _setup(app, association_events, make_guest):
    """Spring: Ada and Dana came, remembered, met each other (mutual, one "mentoring" card),
    one introduction sent. Fall: Ada came again (returning), Eve came for the first time."""
    ids = {}
    for who, slug in (("ada1", "spring"), ("dana1", "spring"), ("ada2", "fall"), ("eve2", "fall")):
        email = f"{who[:-1]}@example.org"
        ids[who], _ = make_guest(association_events[slug], who.title(), email=email)
    with app.app_context():
        people = {k: db.session.get(Guest, v) for k, v in ids.items()}
        with writing():
            for guest in people.values():
                guest.checked_in_at = utcnow()
                if guest.name.startswith(("Ada", "Dana")):
                    guest.consent_remember = True
                    memory.keep(guest)
        cards.record(people["ada1"], people["dana1"], str(uuid.uuid4()), tags=["mentoring"])
        cards.record(people["dana1"], people["ada1"], str(uuid.uuid4()))
        spring = people["ada1"].event_id
        db.session.add(
            Outbox(
                event_id=spring,
                attendee_id=ids["ada1"],
                kind=f"match:{ids['dana1']}",
                status="sent",
            )
        )
        db.session.commit()
    return ids


def _association(app, slug):
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        return event.association_id, db.session.get(Association, event.association_id).slug


def test_counts_per_event(app, association_events, make_guest):
    """First-time against returning, cards, mutual share, introductions, mentoring."""
    _setup(app, association_events, make_guest)
    association_id, _ = _association(app, association_events["fall"])
    with app.app_context():
        spring, fall = picture.rows(db.session.get(Association, association_id))
    assert (spring.came, spring.first_time, spring.returning) == (2, 2, 0)
    assert (spring.cards, spring.mutual_share, spring.introductions, spring.mentoring) == (
        2,
        "100%",
        1,
        1,
    )
    assert (fall.came, fall.first_time, fall.returning, fall.cards) == (2, 1, 1, 0)


def test_a_purged_event_shows_its_tally(app, association_events, make_guest):
    """After the purge, Spring keeps came, cards and mutual; the rest is unknown."""
    _setup(app, association_events, make_guest)
    association_id, _ = _association(app, association_events["fall"])
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == association_events["spring"]))
        purge.purge(event, utcnow())
        spring, _ = picture.rows(db.session.get(Association, association_id))
    assert (spring.came, spring.cards, spring.mutual_share) == (2, 2, "100%")
    assert (spring.returning, spring.introductions) == (None, None)


def test_the_team_reads_it_and_others_get_404(app, client, association_events, make_guest, sign_in):
    """A viewer sees the page and the CSV; the rival organizer gets 404; signed out: sign in."""
    _setup(app, association_events, make_guest)
    association_id, slug = _association(app, association_events["fall"])
    url = f"/teams/{slug}/picture"
    assert client.get(url).status_code == 302
    with app.app_context():
        viewer = users.create_organizer("viv@example.org", PASSWORD)
        db.session.add(
            Membership(association_id=association_id, organizer_id=viewer.id, role="viewer")
        )
        db.session.commit()
        assert teams.role_in(viewer, association_id) == "viewer"
    sign_in(email="viv@example.org")
    page = client.get(url).get_data(as_text=True)
    assert "Spring Mixer" in page and "<svg" in page and "Ada" not in page
    numbers = client.get(f"{url}/attendance.csv")
    assert numbers.headers["Cache-Control"] == "no-store"
    text = numbers.get_data(as_text=True)
    assert "First time,Returning" in text and "Fall Reunion" in text
    assert client.get(f"{url}/nothing.csv").status_code == 404
    rival = app.test_client()
    sign_in(email="rival@example.org", test_client=rival)
    assert rival.get(url).status_code == 404
    assert rival.get(f"{url}/attendance.csv").status_code == 404
