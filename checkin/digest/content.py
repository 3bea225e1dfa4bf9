"""The next-morning digest's content: who each guest met, who to still meet, what they promised.

A Builder is made once per event per batch: it indexes the event for matching and notes who is in
the room. build() then reads what is personal FRESH, in two queries on a connection of its own
(so a consent withdrawn a moment ago counts, whatever transaction the caller has open): the
cards the reader wrote or is the subject of, with the other side's current consents, and the
reader's own row with the people suggested to them. Pure data out; mail/messages.py renders it.
"""

import weakref
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.engine import Connection

from ..accounts import personal_links
from ..extensions import db
from ..mail import links
from ..matching import engine
from ..members import met_before
from ..models import GONE, Card, Event, Guest, PersonalLink
from ..room import cards

TO_MEET = 5  # people to still meet, at most (three to five when the room allows)
PROMISES = ("intro", "send-link", "coffee", "job-lead", "mentoring", "hiring")
ACTIONS = {  # what each quick tag asks the reader to do, {} being the other's first name
    "intro": "Make the introduction you offered {}",
    "send-link": "Send {} the link",
    "coffee": "Have coffee with {}",
    "job-lead": "Follow up on the job lead with {}",
    "mentoring": "Follow up on mentoring with {}",
    "hiring": "Talk hiring with {}",
}
_PERSON = (
    Guest.id,
    Guest.name,
    Guest.class_year,
    Guest.role,
    Guest.employer,
    Guest.consent_findable,
    Guest.consent_share_contact,
    Guest.email,
    Guest.networking_email,
    Guest.linkedin_url,
)


@dataclass(slots=True)
class Entry:
    """One person in the digest, as this reader may see them."""

    id: int
    name: str
    class_year: int | None = None
    role: str = ""  # role and employer only when the person is findable
    employer: str = ""
    met_at: str = ""  # when the reader met them (or they the reader), in the event's time
    note: str = ""  # the READER's own note, verbatim; never anyone else's
    tags: list[str] = field(default_factory=list)  # quick-tag labels
    starred: bool = False
    mutual: bool = False
    reasons: list[str] = field(default_factory=list)
    contact: dict | None = None  # email and LinkedIn: mutual and both consented only
    actions: list[str] = field(default_factory=list)  # promises, in words
    connect_url: str = ""
    meet_url: str = ""

    @property
    def first_name(self) -> str:
        """The name to call them by."""
        return self.name.split(" ", 1)[0] if self.name else "them"

    @property
    def year(self) -> str:
        """The class year as alumni write it: '09 (empty if unknown)."""
        return f"\u2019{self.class_year % 100:02d}" if self.class_year else ""

    @property
    def work(self) -> str:
        """ "Product Manager at Stripe", or whichever half is known."""
        if self.role and self.employer:
            return f"{self.role} at {self.employer}"
        return self.role or self.employer


@dataclass
class Digest:
    """Everything one reader's digest says."""

    reader: Guest
    event: Event
    met: list[Entry]
    waiting: list[Entry]
    promises: list[Entry]
    to_meet: list[Entry]
    contacts: list[Entry]
    manage_url: str = ""  # the reader's personal link ("" if none yet: messages.digest makes it)
    unsubscribe_url: str = ""
    event_date: str = ""  # "Thursday 26 November"
    vcard_cache: dict = field(default_factory=dict, repr=False)  # shared by a Builder's digests

    @property
    def subject(self) -> str:
        """The counts, in words: "You met 7 people at Fall Reunion, and 3 more you should meet"."""
        name, more = self.event.name, len(self.to_meet)
        if self.met:
            head = f"You met {_people(len(self.met))} at {name}"
        elif self.waiting:
            n = len(self.waiting)
            head = f"{_people(n)} from {name} {'wants' if n == 1 else 'want'} to connect"
        else:
            return f"{_people(more)} at {name} you should meet"
        if not more:
            return head
        return f"{head}, and {more} more you should meet"

    @property
    def contents(self) -> str:
        """What the digest holds, in words: "the 7 people you met, what you said you'd do and
        who you should still meet"."""
        n = len(self.met)
        parts = ["the person you met" if n == 1 else f"the {n:,} people you met"] if n else []
        parts += ["who wants to connect"] if self.waiting else []
        parts += ["what you said you'd do"] if self.promises else []
        parts += ["who you should still meet"] if self.to_meet else []
        return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


def without_notes(d: Digest) -> Digest:
    """The digest as the organizer may see it (preview, test copy): private notes left out."""
    hidden = f"(A private note: only {d.reader.first_name or 'the guest'} sees it.)"

    def strip(entries: list[Entry]) -> list[Entry]:
        return [replace(e, note=hidden) if e.note else e for e in entries]

    return replace(
        d,
        met=strip(d.met),
        waiting=strip(d.waiting),
        promises=strip(d.promises),
        to_meet=strip(d.to_meet),
        contacts=strip(d.contacts),
    )


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n:,} people"


class Builder:
    """Digests for one event: the matching index and the room, loaded once."""

    def __init__(self, event: Event):
        self.event = event
        self.matcher = engine.Matcher(engine.load_profiles(event.id))
        self.room = frozenset(
            db.session.scalars(
                select(Guest.id).where(
                    Guest.event_id == event.id,
                    Guest.consent_findable.is_(True),
                    Guest.checked_in_at.is_not(None),
                )
            )
        )
        self.cards_query, self.people_query = _cards_query(event.id), _people_query()
        self.met_before = met_before.pairs_at(event)  # both remembered, at earlier events
        self.vcards: dict = {}  # each contact's vCard, made once per batch
        self._reads: Connection | None = None
        self.zone = ZoneInfo(event.timezone or "UTC")
        start, end = event.starts_at.astimezone(self.zone), event.ends_at.astimezone(self.zone)
        one_day = (end - timedelta(hours=5)).date() <= start.date()
        self.time_format = "%H:%M" if one_day else "%a %-d %b, %H:%M"
        self.event_date = f"{start:%A} {start.day} {start:%B}"

    def build(self, reader: Guest) -> Digest | None:
        """The reader's digest, or None when there is nothing to say."""
        if reader.event_id != self.event.id:
            raise ValueError(f"Guest {reader.id} is not at {self.event.slug}")
        connection = self._connection()
        with connection.begin():  # sees what is committed now, not the caller's snapshot
            rows = connection.execute(self.cards_query, {"reader": reader.id}).all()
            mine = {_key(r, i): r for i, r in enumerate(rows) if r.mine}
            waiting_rows = [r for r in rows if not r.mine and r.id not in mine]
            recorded_me = {r.id for r in rows if not r.mine}
            suggested = self._suggest(reader, set(mine) | recorded_me)
            if not (mine or waiting_rows or suggested):
                return None
            fresh = self._fresh(connection, reader.id, list(suggested))
        me = fresh.get(reader.id)
        if me is None:  # the reader was deleted a moment ago
            return None
        met = [self._met(reader, me, r, r.id in recorded_me) for r in mine.values()]
        met.sort(key=lambda e: (not e.mutual, not e.starred))  # stable: time order within
        waiting = [self._waiting(reader, r) for r in waiting_rows]
        to_meet = [
            self._suggested(reader, fresh[i], why)
            for i, why in suggested.items()
            if _in_room(fresh, i)
        ]
        if not (met or waiting or to_meet):
            return None
        return Digest(
            reader=reader,
            event=self.event,
            met=met,
            waiting=waiting,
            promises=[e for e in met if e.actions],
            to_meet=to_meet,
            contacts=[e for e in met if e.contact],
            manage_url=personal_links.url_of(PersonalLink(salt=me.link_salt))
            if me.link_salt
            else "",
            unsubscribe_url=links.unsubscribe_url(reader),
            event_date=self.event_date,
            vcard_cache=self.vcards,
        )

    def _connection(self) -> Connection:
        """The Builder's own database connection, made on first use and closed with it.

        Not the caller's session: its open transaction may hold an older snapshot (SQLite),
        and a connection from the pool per digest costs a checkout and a rollback each. On
        servers it runs in autocommit (each statement sees what is committed, no BEGIN and
        COMMIT round trips); SQLite gets a short transaction per digest, which costs nothing.
        """
        if self._reads is None:
            self._reads = db.engine.connect()
            if self._reads.dialect.name != "sqlite":
                self._reads = self._reads.execution_options(isolation_level="AUTOCOMMIT")
            weakref.finalize(self, self._reads.close)
        return self._reads

    def _suggest(self, reader: Guest, known: set[int]) -> dict[int, list[str]]:
        """Checked-in, findable people I have not recorded and who have not recorded me, best
        first, with their reasons."""
        if reader.checked_in_at is None and not known:
            return {}  # not at the event: no one to "still" meet
        met = self.met_before.get(reader.id, {})
        suggest = partial(self.matcher.suggest, reader.id, candidates=self.room)
        found = met_before.not_met_first(suggest, known, met, TO_MEET)
        return {s.id: list(s.reasons) for s in found}

    def _fresh(self, connection, reader_id: int, ids: list[int]) -> dict:
        """The reader's row and the suggested people's, with consents and the reader's link."""
        found = connection.execute(
            self.people_query, {"reader": reader_id, "ids": [reader_id, *ids]}
        )
        return {row.id: row for row in found}

    def _met(self, reader: Guest, me, row, mutual: bool) -> Entry:
        entry = self._entry(reader, row)
        entry.met_at = self._when(row.created_at)
        entry.note = row.note or ""
        tags = row.tags or []
        entry.tags = [cards.QUICK_TAGS[t] for t in cards.QUICK_TAGS if t in tags]
        entry.actions = [ACTIONS[t].format(entry.first_name) for t in PROMISES if t in tags]
        entry.starred, entry.mutual = bool(row.starred), mutual
        entry.contact = _contact(me, row, mutual)
        return entry

    def _waiting(self, reader: Guest, row) -> Entry:
        entry = self._entry(reader, row, reasons=[])  # the button says enough; reasons cost
        entry.met_at = self._when(row.created_at)
        entry.connect_url = links.connect_url(reader, row)
        return entry

    def _suggested(self, reader: Guest, row, reasons: list[str]) -> Entry:
        entry = self._entry(reader, row, reasons)
        entry.meet_url = links.meet_url(reader, row)
        return entry

    def _entry(self, reader: Guest, row, reasons=None) -> Entry:
        """Name and year for anyone; work and reasons only for someone findable."""
        entry = Entry(row.id, row.name or "", row.class_year)
        if row.id is None:  # they deleted their data: the reader's note stays, no one named
            entry.name = GONE.name
        if row.consent_findable:
            entry.role, entry.employer = row.role or "", row.employer or ""
            entry.reasons = reasons if reasons is not None else self._why(reader.id, row.id)
        met = self.met_before.get(reader.id, {})
        if row.id in met:  # both chose to be remembered: the earlier meeting is a reason
            entry.reasons = met_before.reasons(met, row.id, entry.reasons)
        return entry

    def _why(self, reader_id: int, other_id: int) -> list[str]:
        return list(self.matcher.reasons(reader_id, other_id, limit=3))

    def _when(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).strftime(self.time_format)


def _cards_query(event_id: int):
    """Cards the reader wrote (with whom they met) and cards about the reader (with who wrote
    them), oldest first, with the other side's name, profile and consents as they are now."""
    reader = bindparam("reader")
    wrote = (  # a card about someone who deleted their data keeps its note, with no one named
        select(*_PERSON, Card.note, Card.tags, Card.starred, Card.created_at)
        .add_columns(literal(True).label("mine"))
        .select_from(Card)
        .outerjoin(Guest, Card.subject_id == Guest.id)
        .where(Card.author_id == reader)  # the reader's cards are of their event (build checks)
    )
    about_me = (
        select(*_PERSON, literal(""), literal(None), literal(False), Card.created_at)
        .add_columns(literal(False).label("mine"))
        .join(Card, Card.author_id == Guest.id)
        .where(Card.event_id == event_id, Card.subject_id == reader)
    )
    both = union_all(wrote, about_me).subquery()
    return select(both).order_by(both.c.created_at, both.c.id)


def _key(row, index: int):
    """A card's person: their id, or a key of its own for each card about someone deleted."""
    return row.id if row.id is not None else ("gone", index)


def _people_query():
    """People by id (the reader and those suggested to them), with the reader's working link."""
    link = PersonalLink
    working = (link.attendee_id == bindparam("reader")) & link.revoked_at.is_(None)
    salt = select(link.salt).where(working).limit(1).scalar_subquery()
    return select(*_PERSON, Guest.checked_in_at, salt.label("link_salt")).where(
        Guest.id.in_(bindparam("ids", expanding=True))
    )


def _contact(me, other, mutual: bool) -> dict | None:
    found = cards.contact(me, other, mutual)
    if found is None or not (found["email"] or found["linkedin"]):
        return None
    return found


def _in_room(fresh: dict, attendee_id: int) -> bool:
    """Still findable and checked in, read just now (the room list is from the batch's start)."""
    row = fresh.get(attendee_id)
    return row is not None and bool(row.consent_findable) and row.checked_in_at is not None


def skip_reason(reader: Guest, suppressed: bool = False, unsubscribed: bool = False) -> str:
    """Why this reader gets no digest, in a sentence for the organizer; "" when they may."""
    if reader.cancelled_at is not None:
        return "Cancelled: gave their place back before the event."
    if not reader.consent_digest and mail_problem(reader, False, False) == "":
        return "Did not ask for the digest."
    return mail_problem(reader, suppressed, unsubscribed)


def mail_problem(reader: Guest, suppressed: bool, unsubscribed: bool) -> str:
    """Why no digest or introduction may go to this reader's address ("" when it may)."""
    from ..mail import messages

    if not (reader.email or "").strip():
        return "No email address."
    try:
        messages.recipient(reader)
    except ValueError:
        return f"The email address {reader.email!r} is not usable."
    if unsubscribed or reader.unsubscribed_at is not None:
        return "Unsubscribed from the organizer's digests and introductions."
    if suppressed:
        return "The address was refused by its mail server before, so it is not tried again."
    return ""
