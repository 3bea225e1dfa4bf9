"""The waitlist tests' world: an event with a few places, and people registering for it.

Registrations are made as the public form would leave them (status "unconfirmed") and then
confirmed with places.place(), as the emailed confirmation link does.
"""

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from checkin.database import writing
from checkin.events import tickets
from checkin.extensions import db
from checkin.models import Event, Registration, utcnow
from checkin.registration import places


@pytest.fixture
def waitlist_event(app, make_event):
    """An open event with 3 places (REUNION_DAY, New York); returns its slug."""
    slug = make_event("Spring Gala")
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        event.capacity, event.registration = 3, "open"
        db.session.commit()
    return slug


@pytest.fixture
def waitlist_signup(app):
    """Register and confirm someone: waitlist_signup(slug, "Ada") -> (registration id, status).

    Each later call confirms a second later, so the waitlist's order is the calls' order.
    """
    seconds = iter(range(1, 10_000))

    def signup(slug, name, email=None, confirm=True):
        with app.app_context():
            event = db.session.scalar(select(Event).where(Event.slug == slug))
            registration = Registration(
                event_id=event.id,
                name=name,
                email=email or f"{name.split()[0].lower()}@example.org",
                answers={"class_year": 2010},
                consents={"findable": True},
                token_hash=tickets.digest(secrets.token_urlsafe(20)),
            )
            db.session.add(registration)
            db.session.commit()
            if confirm:
                with writing():
                    places.place(registration, utcnow() + timedelta(seconds=next(seconds)))
            return registration.id, registration.status

    return signup


def registration_row(app, registration_id) -> Registration:
    """The registration as stored now (detached, read fresh)."""
    with app.app_context():
        row = db.session.get(Registration, registration_id)
        db.session.expunge(row)
        return row
