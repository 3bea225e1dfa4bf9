"""Met before: cards at an association's earlier events between two people it remembers.

Two guests count as having met before only when both are members (each confirmed it signed in
and still consents to be remembered: Guest.member_id is set, consent_remember on) at the
earlier event AND at this one. Everything here is scoped to one association: its events only.
Notes stay their author's: connections() returns a note only on cards the reader wrote.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Card, Event, Guest


def _members_at(event_id: int, only: int | None = None) -> dict[int, int]:
    """Member id -> guest id, for the event's guests who are remembered members."""
    query = select(Guest.member_id, Guest.id).where(
        Guest.event_id == event_id,
        Guest.member_id.is_not(None),
        Guest.consent_remember.is_(True),
    )
    if only is not None:
        query = query.where(Guest.id != only)
    return dict(db.session.execute(query).all())


def _cards_between(event: Event, member_ids, earlier: bool = True):
    """(author member, subject member, event name, event start, card) at the association's
    other events, between remembered members among member_ids."""
    author, subject = aliased(Guest), aliased(Guest)
    query = (
        select(author.member_id, subject.member_id, Event.name, Event.starts_at, Card)
        .join(author, Card.author_id == author.id)
        .join(subject, Card.subject_id == subject.id)
        .join(Event, Card.event_id == Event.id)
        .where(
            Event.association_id == event.association_id,
            author.consent_remember.is_(True),
            subject.consent_remember.is_(True),
            author.member_id.in_(member_ids),
            subject.member_id.in_(member_ids),
        )
        .order_by(Event.starts_at, Card.id)
    )
    if earlier:
        query = query.where(Event.starts_at < event.starts_at, Event.id != event.id)
    return db.session.execute(query).all()


def pairs_at(event: Event) -> dict[int, dict[int, list[str]]]:
    """Guest id -> {guest id here -> names of earlier events where they met}, for this event."""
    here = _members_at(event.id)
    found: dict[int, dict[int, list[str]]] = {}
    if len(here) < 2:
        return found
    for author, subject, name, _, _ in _cards_between(event, list(here)):
        a, b = here[author], here[subject]
        for one, other in ((a, b), (b, a)):
            names = found.setdefault(one, {}).setdefault(other, [])
            if name not in names:
                names.append(name)
    return found


def of(me: Guest) -> dict[int, list[str]]:
    """Guest id here -> the earlier events where I met them (both remembered); {} if I am not."""
    if me.member_id is None or not me.consent_remember:
        return {}
    here = _members_at(me.event_id)
    others = [m for m in here if m != me.member_id]
    if not others:
        return {}
    found: dict[int, list[str]] = {}
    for author, subject, name, _, _ in _cards_between(me.event, [me.member_id, *others]):
        if me.member_id not in (author, subject) or author == subject:
            continue
        other = here[subject if author == me.member_id else author]
        if name not in found.setdefault(other, []):
            found[other].append(name)
    return found


def reasons(met: dict[int, list[str]], other_id: int, found) -> list[str]:
    """The matching's reasons, after "You met at <event>" when we met before."""
    names = met.get(other_id)
    return [f"You met at {', '.join(names)}", *found] if names else list(found)


def reconnect(me: Guest) -> list[tuple[Guest, list[str]]]:
    """People checked in here tonight, findable, whom I met at earlier events, with where."""
    met = of(me)
    if not met:
        return []
    people = db.session.scalars(
        select(Guest)
        .where(
            Guest.id.in_(list(met)),
            Guest.event_id == me.event_id,
            Guest.checked_in_at.is_not(None),
            Guest.consent_findable.is_(True),
        )
        .order_by(Guest.name, Guest.id)
    )
    return [(person, met[person.id]) for person in people]


@dataclass
class Connection:
    """Someone I met at one of the association's events, as I may see them."""

    id: int  # their member id
    name: str
    event_name: str
    met_on: datetime
    mutual: bool = False
    note: str = ""  # my own note, never theirs
    contact: dict | None = None  # mutual and both shared contact at that event
    class_year: int | None = None
    role: str = ""
    employer: str = ""


def connections(me: Guest) -> list[Connection]:
    """Everyone I met at the association's events (me a member, they too), oldest first."""
    if me.member_id is None or not me.consent_remember:
        return []
    author, subject = aliased(Guest), aliased(Guest)
    rows = db.session.execute(
        select(Card, author, subject, Event)
        .join(author, Card.author_id == author.id)
        .join(subject, Card.subject_id == subject.id)
        .join(Event, Card.event_id == Event.id)
        .where(
            Event.association_id == me.event.association_id,
            author.consent_remember.is_(True),
            subject.consent_remember.is_(True),
            author.member_id.is_not(None),
            subject.member_id.is_not(None),
            author.member_id != subject.member_id,
            or_(author.member_id == me.member_id, subject.member_id == me.member_id),
        )
        .order_by(Event.starts_at, Card.id)
    ).all()
    return _merge(me.member_id, rows)


def _merge(member_id: int, rows) -> list[Connection]:
    """One connection per person and event, mutual when both wrote a card."""
    found: dict[tuple, Connection] = {}
    mine: dict[tuple, object] = {}
    for card, author, subject, event in rows:
        me_wrote = author.member_id == member_id
        mine_, other = (author, subject) if me_wrote else (subject, author)
        key = (other.member_id, event.id)
        entry = found.get(key)
        if entry is None:
            entry = found[key] = Connection(
                other.member_id, other.name, event.name, event.starts_at
            )
            entry.class_year = other.class_year
            if other.consent_findable:
                entry.role, entry.employer = other.role, other.employer
        else:
            entry.mutual = True
        if me_wrote:
            entry.note = card.note or ""
        mine[key] = (mine_, other)
    for key, entry in found.items():
        me_there, other = mine[key]
        shares = me_there.consent_share_contact and other.consent_share_contact
        if entry.mutual and shares:
            entry.contact = {
                "email": other.networking_email or other.email,
                "linkedin": other.linkedin_url,
            }
    return list(found.values())
