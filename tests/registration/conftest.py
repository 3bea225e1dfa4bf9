"""Fixtures for the registration tests: an event open for registration, and a filled-in form."""

import re

import pytest
from conftest import csrf_token
from sqlalchemy import select

from checkin.extensions import db
from checkin.models import Event

QUESTIONS = {"class_year": "required", "industry": "optional", "willing_to_mentor": "optional"}


@pytest.fixture
def open_event(app, make_event):
    """An event open for registration with three profile questions; returns its slug."""
    slug = make_event()
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        event.registration = "open"
        event.registration_questions = QUESTIONS
        event.description = "Drinks, old friends and new ones."
        event.capacity = 100
        db.session.commit()
    app.config["REGISTRATION_MIN_SECONDS"] = 0
    return slug


@pytest.fixture
def set_event(app):
    """Change an event's fields: set_event(slug, registration="paused")."""

    def do(slug, **fields):
        with app.app_context():
            event = db.session.scalar(select(Event).where(Event.slug == slug))
            for name, value in fields.items():
                setattr(event, name, value)
            db.session.commit()

    return do


@pytest.fixture
def filled(client, open_event):
    """The form as a person fills it in: fields from the public page (its CSRF and time stamp)."""

    def fill(slug=None, test_client=None, **values):
        c = test_client or client
        path = f"/e/{slug or open_event}"
        page = c.get(path).get_data(as_text=True)
        started = re.search(r'name="started" type="hidden" value="([^"]+)"', page)
        data = {
            "csrf_token": csrf_token(c, path),
            "started": started.group(1) if started else "",
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "class_year": "2009",
            "industry": "Computing",
            "consent_findable": "y",
            "consent_digest": "y",
            "website": "",
        }
        data.update(values)
        return data

    return fill
