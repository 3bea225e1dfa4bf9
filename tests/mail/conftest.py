"""The mail tests' world: Fall Reunion's guests with and without an address, for ticket emails."""

import pytest
from conftest import csrf_token
from sqlalchemy import select, update

from checkin.extensions import db
from checkin.models import Event, Guest

GUESTS = {
    "ada@example.org": "Ada Lovelace",
    "zoe@example.org": "Zoë Müller",
    "grace@example.org": "Grace Hopper",
}


@pytest.fixture
def ticket_party(app, client, sign_in, make_event, make_guest):
    """Ada, Zoë and Grace with an address and Alan Turing with none, at Fall Reunion; the
    organizer signed in. The event's slug and id, a CSRF token of the organizer's session, and
    the guests' ids and ticket URLs by email."""
    slug = make_event("Fall Reunion")
    made = {email: make_guest(slug, name, email=email) for email, name in GUESTS.items()}
    no_email, _ = make_guest(slug, "Alan Turing")
    with app.app_context():
        db.session.execute(update(Guest).where(Guest.id == no_email).values(email=""))
        db.session.commit()
        event_id = db.session.scalar(select(Event.id).where(Event.slug == slug))
    sign_in()
    return {
        "slug": slug,
        "event_id": event_id,
        "token": csrf_token(client, f"/events/{slug}"),
        "ids": {email: guest_id for email, (guest_id, _) in made.items()},
        "urls": {email: url for email, (_, url) in made.items()},
    }
