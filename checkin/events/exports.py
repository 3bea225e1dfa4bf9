"""Exports people can open: the organizer's attendance and networking summary, a guest's
own cards (CSV) and contacts (.vcf). Each is one query read row by row, so thousands of guests
stream in flat memory; every cell goes through csv_safe."""

from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import Response
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from ..digest import vcards
from ..extensions import db
from ..models import GONE, Card, DoorPass, Event, Guest
from ..room import cards
from . import csv_safe

BATCH = 500  # rows fetched from the database at a time
ATTENDANCE = ("Name", "Email", "Class year", "Checked in at", "Door")
NETWORKING = (
    *("Name", "Email", "Class year", "Cards recorded", "Recorded by others"),
    *("Mutual connections", "Follow-ups starred"),
)
MY_CARDS = (
    *("Name", "Class year", "Role", "Employer", "Met at", "Note", "Tags", "Follow up"),
    *("Connected", "Email", "LinkedIn"),
)


@dataclass(slots=True)
class Met:
    """One of my cards as I may export it: role, employer and contact only where allowed."""

    id: int
    name: str
    class_year: int | None
    role: str
    employer: str
    met_at: str
    note: str
    tags: str
    starred: bool
    mutual: bool
    contact: dict | None


def filename(event: Event, what: str, extension: str = "csv") -> str:
    """The download's name: the event's slug, its date and what it holds."""
    return f"{event.slug}-{_local(event, event.starts_at)[:10]}-{what}.{extension}"


def attendance_csv(event: Event) -> Iterator[str]:
    """Every guest by name, with when and at which door they checked in (empty if not yet)."""
    query = (
        select(Guest.name, Guest.email, Guest.class_year, Guest.checked_in_at)
        .add_columns(DoorPass.name)
        .outerjoin(DoorPass, DoorPass.id == Guest.checked_in_by_id)
        .where(Guest.event_id == event.id)
        .order_by(Guest.search_key, Guest.id)
    )
    body = (
        (name, email, year, _local(event, at), door if at else "")
        for name, email, year, at, door in _stream(query)
    )
    return csv_safe.rows(ATTENDANCE, body)


def networking_csv(event: Event) -> Iterator[str]:
    """Card counts per guest, then the whole event's: never a note, a tag or who met whom."""
    query = _counts(event)
    return csv_safe.rows(NETWORKING, _with_overall(_stream(query)))


def my_cards_csv(me: Guest) -> Iterator[str]:
    """My cards, oldest first, with my notes; contact details only where both chose to share."""
    body = (
        (m.name, m.class_year, m.role, m.employer, m.met_at, m.note, m.tags)
        + (_yes(m.starred), _yes(m.mutual), *_contact_cells(m.contact))
        for m in my_cards(me)
    )
    return csv_safe.rows(MY_CARDS, body)


def my_contacts_vcf(me: Guest) -> str:
    """A vCard for each person I met whose contact details I may see."""
    return vcards.vcard_file(my_cards(me), me.event.name)


def my_cards(me: Guest) -> Iterator[Met]:
    """My cards with the people they are about and whether they recorded me too: one query."""
    theirs = aliased(Card)
    mutual = exists().where(theirs.author_id == Card.subject_id, theirs.subject_id == me.id)
    query = (
        select(Card, Guest, mutual)
        .outerjoin(Guest, Guest.id == Card.subject_id)  # None: they deleted their data
        .where(Card.author_id == me.id)
        .order_by(Card.created_at, Card.id)
    )
    event = me.event  # loaded now: the rows are read later, as the response streams
    return (_met(me, event, *row) for row in _stream(query))


def _met(me: Guest, event: Event, card: Card, person: Guest | None, mutual: bool) -> Met:
    """One card as its author may export it (with no one named once they deleted their data)."""
    person = person or GONE
    shown = cards.public_fields(person)
    return Met(
        id=person.id,
        name=person.name,
        class_year=person.class_year,
        role=shown.get("role", ""),
        employer=shown.get("employer", ""),
        met_at=_local(event, card.created_at),
        note=card.note,
        tags="; ".join(cards.QUICK_TAGS.get(tag, tag) for tag in card.tags or ()),
        starred=card.starred,
        mutual=bool(mutual),
        contact=cards.contact(me, person, bool(mutual)),
    )


def _counts(event: Event):
    """One row per guest: cards written, cards about them, mutual ones, starred ones."""
    theirs = aliased(Card)
    is_mutual = exists().where(
        and_(theirs.author_id == Card.subject_id, theirs.subject_id == Card.author_id)
    )
    written = (
        select(
            Card.author_id.label("id"),
            func.count().label("cards"),
            func.sum(case((Card.starred, 1), else_=0)).label("starred"),
            func.sum(case((is_mutual, 1), else_=0)).label("mutual"),
        )
        .where(Card.event_id == event.id)
        .group_by(Card.author_id)
        .subquery()
    )
    received = (
        select(Card.subject_id.label("id"), func.count().label("cards"))
        .where(Card.event_id == event.id)
        .group_by(Card.subject_id)
        .subquery()
    )
    return (
        select(
            *(Guest.name, Guest.email, Guest.class_year),
            func.coalesce(written.c.cards, 0),
            func.coalesce(received.c.cards, 0),
            func.coalesce(written.c.mutual, 0),
            func.coalesce(written.c.starred, 0),
        )
        .outerjoin(written, written.c.id == Guest.id)
        .outerjoin(received, received.c.id == Guest.id)
        .where(Guest.event_id == event.id)
        .order_by(Guest.search_key, Guest.id)
    )


def _with_overall(rows) -> Iterator[tuple]:
    """The guests' rows, then a blank line and the event's totals, added up on the way."""
    total = people = mutual = starred = 0
    for row in rows:
        yield row
        total, people = total + row[3], people + (row[3] > 0)
        mutual, starred = mutual + row[5], starred + row[6]
    yield ()
    yield ("Overall",)
    yield ("Cards recorded", total)
    yield ("People who recorded at least one card", people)
    yield ("Mutual connections (pairs)", mutual // 2)
    yield ("Follow-ups starred", starred)


def stream(query) -> Iterator:
    """The query's rows for a download, a batch at a time (see _stream)."""
    return _stream(query)


def local_text(event: Event, moment) -> str:
    """A moment as the event's wall clock shows it in a download (see _local)."""
    return _local(event, moment)


def _stream(query) -> Iterator:
    """The query's rows, read a batch at a time (a server-side cursor on PostgreSQL).

    Read when the response streams, in a session of its own: the request's session (and its
    context) is gone by then, and a half-read download must not hold a context open.
    """
    return _read(db.engine, query)


def _read(engine, query) -> Iterator:
    with Session(engine) as session:
        yield from session.execute(query.execution_options(yield_per=BATCH))


def _local(event: Event, moment) -> str:
    """A moment as the event's wall clock shows it: 2026-11-26 18:03 (empty if none)."""
    return moment.astimezone(ZoneInfo(event.timezone)).strftime("%Y-%m-%d %H:%M") if moment else ""


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _contact_cells(contact: dict | None) -> tuple[str, str]:
    return (contact or {}).get("email", ""), (contact or {}).get("linkedin", "")


def attachment(body, mimetype: str, name: str) -> Response:
    """A download no browser or proxy keeps (exports carry personal data)."""
    response = Response(body, mimetype=mimetype)  # charset=utf-8 is added for text/*
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.headers["Cache-Control"] = "no-store"
    return response
