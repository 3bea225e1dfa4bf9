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


def _met_between(event: Event, member_ids):
    """(author member, subject member, event name, start) once per pair and earlier event of
    the association where one wrote a card about the other, both remembered, among member_ids.
    Columns only: the digest's Builder reads every pair of the room at once."""
    author, subject = aliased(Guest), aliased(Guest)
    query = (
        select(author.member_id, subject.member_id, Event.name, Event.starts_at)
        .select_from(Card)
        .join(author, Card.author_id == author.id)
        .join(subject, Card.subject_id == subject.id)
        .join(Event, Card.event_id == Event.id)
        .where(
            Event.association_id == event.association_id,
            Event.starts_at < event.starts_at,
            Event.id != event.id,
            author.consent_remember.is_(True),
            subject.consent_remember.is_(True),
            author.member_id.in_(member_ids),
            subject.member_id.in_(member_ids),
        )
        .distinct()
        .order_by(Event.starts_at)
    )
    return db.session.execute(query).all()


def pairs_at(event: Event) -> dict[int, dict[int, list[str]]]:
    """Guest id -> {guest id here -> names of earlier events where they met}, for this event."""
    here = _members_at(event.id)
    found: dict[int, dict[int, list[str]]] = {}
    if len(here) < 2:
        return found
    for author, subject, name, _ in _met_between(event, list(here)):
        a, b = here[author], here[subject]
        for one, other in ((a, b), (b, a)):
            names = found.setdefault(one, {}).setdefault(other, [])
            if name not in names:
                names.append(name)
    return found


def of(me: Guest) -> dict[int, list[str]]:
    """Guest id here -> the earlier events where I met them (both remembered); {} if I am not.

    Starts from my own few guest rows (indexed by member), so it costs the same however many
    members the association has: my cards and the cards about me there, then who is here."""
    if me.member_id is None or not me.consent_remember:
        return {}
    then = dict(_my_earlier_rows(me))  # my guest id at an earlier event -> that event's name
    if not then:
        return {}
    met: dict[int, list[str]] = {}
    for member_id, guest_id in _met_members(list(then)):
        name = then[guest_id]
        if name not in met.setdefault(member_id, []):
            met[member_id].append(name)
    here = db.session.execute(
        select(Guest.member_id, Guest.id).where(
            Guest.event_id == me.event_id,
            Guest.member_id.in_(list(met)),
            Guest.consent_remember.is_(True),
            Guest.id != me.id,
        )
    )
    return {guest_id: met[member_id] for member_id, guest_id in here}


def _my_earlier_rows(me: Guest):
    """(my guest id, event name) at the association's earlier events, oldest first."""
    return db.session.execute(
        select(Guest.id, Event.name)
        .join(Event, Guest.event_id == Event.id)
        .where(
            Guest.member_id == me.member_id,
            Guest.consent_remember.is_(True),
            Event.association_id == me.event.association_id,
            Event.starts_at < me.event.starts_at,
            Event.id != me.event_id,
        )
        .order_by(Event.starts_at)
    ).all()


def _met_members(mine: list[int]):
    """(their member id, my guest id) for each card between me (as mine) and a member."""
    other = aliased(Guest)
    remembered = (other.member_id.is_not(None), other.consent_remember.is_(True))
    wrote = select(other.member_id, Card.author_id).join(other, Card.subject_id == other.id)
    about = select(other.member_id, Card.subject_id).join(other, Card.author_id == other.id)
    about_me = about.join(Guest, Card.subject_id == Guest.id).where(Guest.id.in_(mine))
    return [
        *db.session.execute(wrote.where(Card.author_id.in_(mine), *remembered)),
        *db.session.execute(about_me.where(Card.event_id == Guest.event_id, *remembered)),
    ]


def not_met_first(suggest, exclude, met: dict, limit: int) -> list:
    """Suggestions of people not met before, topped up with people met before when too few.

    suggest(exclude, limit) is the matcher's; asking it twice for `limit` at most keeps its cost
    the same however many people one met at earlier events.
    """
    exclude = set(exclude)
    found = suggest(exclude=exclude | set(met), limit=limit)
    if met and len(found) < limit:
        found += suggest(exclude=exclude | {s.id for s in found}, limit=limit - len(found))
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
