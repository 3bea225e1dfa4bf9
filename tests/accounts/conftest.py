"""The accounts tests' world: Ada on an event's guest list with her personal link."""

import pytest

from checkin.accounts import personal_links
from checkin.extensions import db
from checkin.models import Guest


@pytest.fixture
def guest(app, make_event, make_guest):
    """Ada, on an event's guest list, with her personal link (as a path)."""
    slug = make_event("Fall Reunion")
    ada, _ = make_guest(slug, "Ada Lovelace", email="ada@example.org")
    with app.app_context():
        url = personal_links.url_of(personal_links.ensure(db.session.get(Guest, ada)))
    return {
        "slug": slug,
        "id": ada,
        "path": url.removeprefix("http://127.0.0.1:5000"),
        "home": f"/e/{slug}/",
    }
