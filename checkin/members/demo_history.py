"""The demo's history: an earlier event of the same association where some of today's guests
met, and those who chose to be remembered carried over (checkin/demo.py calls seed())."""

import random
import uuid
from datetime import timedelta

from ..events import events
from ..extensions import db
from ..models import Card, Event, Guest
from ..privacy import consents
from . import memory, met_before

COPIED = ("name", "email", "class_year", *memory.PROFILE_FIELDS)


def seed(rng: random.Random, event: Event, people: list[Guest]) -> Event:
    """Half of today's guests were at an earlier event 60 days before; they met there; about
    two in three of them chose "Remember me" and are linked today too (inside the caller's
    transaction; flushed)."""
    start = event.starts_at - timedelta(days=60)
    name = earlier_name(start)
    earlier = events.create_event(
        event.organizer,
        name,
        event.venue,
        start,
        start + timedelta(hours=4),
        event.timezone,
    )
    returning = rng.sample(people, len(people) // 2)
    then = {person.id: _copy(person, earlier, start) for person in returning}
    kept = [person for person in returning if rng.random() < 0.65]
    for person in kept:
        then[person.id].consent_remember = True
    db.session.add_all(then.values())
    db.session.flush()
    rows = [
        consents.first_rows(g.event_id, g.id, consents.values_of(g), "import", start)
        for g in then.values()
    ]
    consents.insert_rows([row for found in rows for row in found])
    _cards(rng, list(then.values()))
    for person in kept:  # remembered then, and confirmed today (as on the "We remember you" page)
        memory.keep(then[person.id], start)
        consents.record(person, {"remember": True}, "import")
        memory.keep(person)
    db.session.flush()
    return earlier


def earlier_name(start) -> str:
    """The earlier event's name from its month: "October Mixer 2026"."""
    return f"{start:%B} Mixer {start.year}"


def _copy(person: Guest, earlier: Event, start) -> Guest:
    values = {name: getattr(person, name) for name in COPIED}
    return Guest(event_id=earlier.id, source="import", checked_in_at=start, **values)


def _cards(rng: random.Random, present: list[Guest]) -> None:
    """Each guest at the earlier event recorded one to three others, some both ways."""
    made: set[tuple[int, int]] = set()
    for author in present:
        others = [p for p in present if p.id != author.id]
        for subject in rng.sample(others, min(len(others), rng.randint(1, 3))):
            for pair in [(author, subject)] + ([(subject, author)] if rng.random() < 0.5 else []):
                if (pair[0].id, pair[1].id) not in made:
                    made.add((pair[0].id, pair[1].id))
                    db.session.add(_card(*pair))


def _card(author: Guest, subject: Guest) -> Card:
    at = author.checked_in_at + timedelta(minutes=30)
    return Card(
        event_id=author.event_id,
        author_id=author.id,
        subject_id=subject.id,
        nonce=uuid.uuid4().hex,
        note=f"Met at {author.event.name}.",
        via="scan",
        created_at=at,
        updated_at=at,
    )


def met_before_names(event: Event, people: list[Guest]) -> dict[int, list[str]]:
    """Guest id -> names of the people here today they met at earlier events (both remembered)."""
    pairs = met_before.pairs_at(event)
    names = {person.id: person.name for person in people}
    return {
        person.id: sorted(names[other] for other in pairs.get(person.id, {}) if other in names)
        for person in people
    }
