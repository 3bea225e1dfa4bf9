"""What the digest tests share: the party of guests who met, and reading the digest rows back."""

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from checkin.extensions import db
from checkin.models import Card, Event, Guest, Outbox


@dataclass
class Party:
    """An event whose guests have met: who should get a digest and who should not."""

    slug: str
    event_id: int
    ids: dict[str, int]  # first name -> guest id

    @property
    def readers(self) -> list[str]:
        """The addresses that should receive a digest (opted in, something to say)."""
        return [f"{name}@example.org" for name in ("ada", "zoe", "grace")]

    def email(self, name: str) -> str:
        return f"{name}@example.org"


def make_party(
    make_event, make_guest, set_guest, app, name="Fall Reunion", organizer=None
) -> Party:
    """Ada and Zoe met each other (mutual, both share contacts); Grace recorded Ada, who did not
    record her; Bob did not ask for the digest; Eve asked but was not there and met no one."""
    slug = make_event(name, email=organizer or "organizer@example.org")
    ids = {}
    for first, year in (
        ("ada", 2009),
        ("zoe", 2011),
        ("grace", 1990),
        ("bob", 2001),
        ("eve", 2015),
    ):
        ids[first], _ = make_guest(
            slug, f"{first.title()} Example", class_year=year, email=f"{first}@example.org"
        )
    for first in ("ada", "zoe", "grace"):
        set_guest(
            ids[first],
            checked_in=True,
            consent_digest=True,
            consent_findable=True,
            consent_share_contact=True,
            residence_hall="Watson Hall",
        )
    set_guest(ids["bob"], checked_in=True, consent_findable=True)
    set_guest(ids["eve"], consent_digest=True)
    with app.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.slug == slug))
        card(
            event_id, ids["ada"], ids["zoe"], "Ada's note: Zoe knows the Lisbon office", ["coffee"]
        )
        card(event_id, ids["zoe"], ids["ada"], "Zoe's note: Ada hires PMs")
        card(event_id, ids["grace"], ids["ada"], "Grace's note: ask Ada about Watson")
        db.session.commit()
    return Party(slug, event_id, ids)


def card(event_id: int, author_id: int, subject_id: int, note: str, tags=()) -> None:
    """Add a card (the caller commits)."""
    db.session.add(
        Card(
            event_id=event_id,
            author_id=author_id,
            subject_id=subject_id,
            nonce=uuid.uuid4().hex,
            note=note,
            tags=list(tags),
        )
    )


def statuses(app, event_id: int) -> dict[str, str]:
    """Each digest row's status by recipient name, read fresh."""
    with app.app_context():
        rows = db.session.execute(
            select(Guest.email, Outbox.status)
            .join(Guest, Guest.id == Outbox.attendee_id)
            .where(Outbox.event_id == event_id, Outbox.kind == "digest")
        )
        return dict(rows.all())
