"""The teams tests' world: association A (owner Olga, organizer Otto, viewer Vera) running the
Alpha Reunion, and association B (owner Bea) running the Bravo Reunion, each with guests and a
door pass."""

import pytest
from conftest import PASSWORD, csrf_token
from sqlalchemy import select

from checkin.accounts import users
from checkin.associations import teams
from checkin.extensions import db
from checkin.models import DoorPass, Event, Membership


def join(association_id: int, email: str, role: str) -> int:
    """Put an organizer (made when new) on a team with a role; the membership id."""
    organizer = users.find_by_email(email) or users.create_organizer(
        email, PASSWORD, email.split("@")[0].title()
    )
    membership = Membership(association_id=association_id, organizer_id=organizer.id, role=role)
    db.session.add(membership)
    db.session.commit()
    return membership.id


@pytest.fixture
def two_teams(app, make_event, make_guest, make_pass):
    """Olga's association with Otto (organizer) and Vera (viewer) on its team; Bea's apart."""

    def build(owner, name):
        slug = make_event(name, email=owner)
        guest, code = make_guest(slug, f"{name.split()[0]} Guest")
        make_pass(slug, "Door 1")
        with app.app_context():
            event = db.session.scalar(select(Event).where(Event.slug == slug))
            pass_id = db.session.scalar(select(DoorPass.id).where(DoorPass.event_id == event.id))
            association = event.association
            return {
                "slug": slug,
                "attendee_id": guest,
                "code": code.rsplit("/", 1)[-1],
                "pass_id": pass_id,
                "association_id": association.id,
                "association_slug": association.slug,
            }

    world = {
        "a": build("olga@example.org", "Alpha Reunion"),
        "b": build("bea@example.org", "Bravo Reunion"),
    }
    with app.app_context():
        world["otto"] = join(world["a"]["association_id"], "otto@example.org", "organizer")
        world["vera"] = join(world["a"]["association_id"], "vera@example.org", "viewer")
        owner = teams.role_in(users.find_by_email("olga@example.org"), world["a"]["association_id"])
        assert owner == "owner"
    return world


@pytest.fixture
def signed_in_as(app, sign_in):
    """A fresh test client signed in as this organizer, and a CSRF token for its session."""

    def do(email):
        client = app.test_client()
        assert sign_in(email=email, test_client=client).status_code == 302
        return client, csrf_token(client, "/events")

    return do
