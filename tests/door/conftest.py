"""The door's world: an event with a guest and a door pass, and crowds of guests for the rushes."""

import pytest
from sqlalchemy import select

from checkin.events import tickets
from checkin.extensions import db
from checkin.models import Event, Guest


@pytest.fixture
def door(make_event, make_guest, make_pass):
    """An event with one guest and a door pass, and another event with its own pass."""
    slug = make_event()
    attendee_id, code = make_guest(slug, "Ada Lovelace", 2009)
    other = make_event("Spring Gala")
    return {
        "slug": slug,
        "code": code,
        "id": attendee_id,
        "token": make_pass(slug, "Door 2"),
        "other_slug": other,
        "other_token": make_pass(other, "Gala door"),
    }


@pytest.fixture
def make_crowd(app, make_event):
    """Make an event with many guests, each with a ticket, in one transaction: make_crowd(200,
    "Guest {}") returns the event's slug and each guest's (id, ticket URL)."""

    def make(count: int, name: str) -> tuple[str, list[tuple[int, str]]]:
        slug = make_event()
        with app.app_context():
            event_id = db.session.scalar(select(Event.id).where(Event.slug == slug))
            people = [
                Guest(event_id=event_id, name=name.format(i), email=f"g{i}@example.org")
                for i in range(count)
            ]
            db.session.add_all(people)
            db.session.flush()
            made = [(p.id, tickets.ticket_url(tickets.code_of(tickets.issue(p)))) for p in people]
            db.session.commit()
        return slug, made

    return make
