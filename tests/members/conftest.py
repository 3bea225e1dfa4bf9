"""Members across events: an association's two events a week apart, and another association's."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from checkin.extensions import db
from checkin.models import Event


@pytest.fixture
def association_events(app, make_event):
    """Slugs: "spring" a week before "fall" (both of organizer@example.org's association) and
    "other" (another organizer's association), on the same evening as "fall"."""
    spring = make_event("Spring Mixer")
    fall = make_event("Fall Reunion")
    other = make_event("Rival Gala", email="rival@example.org")
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == spring))
        event.starts_at -= timedelta(days=7)
        event.ends_at -= timedelta(days=7)
        db.session.commit()
    return {"spring": spring, "fall": fall, "other": other}
