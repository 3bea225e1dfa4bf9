"""Personal data's fixtures: one event with Ada and Grace in the room and Maya not in yet, and
another organizer's event with Bob."""

import uuid

import pytest

from checkin.extensions import db
from checkin.models import Guest
from checkin.room import cards


@pytest.fixture
def privacy_room(app, make_event, make_guest, set_guest):
    """Ada and Grace checked in and findable, Maya on the list; Bob at another organizer's gala."""
    slug = make_event()
    ada, ada_qr = make_guest(slug, "Ada Lovelace", 2009, email="ada@example.org")
    grace, grace_qr = make_guest(slug, "Grace Hopper", 2010, email="grace@example.org")
    maya, _ = make_guest(slug, "Maya Iyer", 2021, email="maya@example.org")
    for person in (ada, grace):
        set_guest(person, checked_in=True, consent_findable=True, residence_hall="Watson Hall")
    set_guest(grace, role="Rear admiral", employer="US Navy", consent_share_contact=True)
    other = make_event("Spring Gala", email="other@example.org")
    bob, _ = make_guest(other, "Bob Marley", 1999, email="bob@example.org")
    return {
        "slug": slug,
        "ada": ada,
        "grace": grace,
        "maya": maya,
        "ada_qr": ada_qr,
        "grace_qr": grace_qr,
        "other_slug": other,
        "bob": bob,
    }


@pytest.fixture
def write_card(app):
    """Record a card directly in the domain: write_card(author, subject, note); returns its id."""

    def write(author: int, subject: int, note: str = "", **fields) -> int:
        with app.app_context():
            me, other = db.session.get(Guest, author), db.session.get(Guest, subject)
            return cards.record(me, other, str(uuid.uuid4()), note, **fields).card.id

    return write
