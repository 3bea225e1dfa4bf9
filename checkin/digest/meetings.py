""" "I'd like to meet": double opt-in wishes, revealed to no one unless both people ask."""

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from .. import tasks
from ..database import writing
from ..extensions import db
from ..mail import digest_outbox, links
from ..models import Guest, MeetRequest
from ..room import cards


def pair(purpose: str, token: str) -> tuple[Guest, Guest] | None:
    """The reader and the other person a "connect" or "meet" link names, both of one event."""
    ids = links.read(purpose, token)
    if ids is None or ids[1] is None or ids[0] == ids[1]:
        return None
    reader, other = db.session.get(Guest, ids[0]), db.session.get(Guest, ids[1])
    if reader is None or other is None or reader.event_id != other.event_id:
        return None
    return reader, other


def may_connect_back(reader: Guest, other: Guest) -> bool:
    """True when other really recorded the reader (so "Connect back" means something)."""
    return cards.recorded(other.id, reader.id) is not None


def connect_back(reader: Guest, other: Guest) -> cards.Recorded:
    """Record other as someone the reader met, from the digest's link; a repeat records nothing."""
    if not may_connect_back(reader, other):
        raise cards.CardError(f"{other.first_name} has not recorded you.", 404)
    return cards.record(reader, other, f"mail-back-{other.id}", via="back")


def request(reader: Guest, other: Guest) -> bool:
    """Record that reader wants to meet other; True when other asked too (a repeat records nothing).

    When mutual, each gets an introduction email with the other's contact details.
    """
    if reader.id == other.id or reader.event_id != other.event_id:
        raise ValueError("Both people must be different guests of the same event.")
    with writing():
        db.session.execute(
            _insert()
            .values(event_id=reader.event_id, requester_id=reader.id, wanted_id=other.id)
            .on_conflict_do_nothing(index_elements=["requester_id", "wanted_id"])
        )
    # Asked only after our own wish is committed: of two people asking at once, at least the
    # later one sees the other's wish, so a match is never lost (the outbox's unique
    # constraint keeps the introductions at one each when both see it).
    mutual = asked(other.id, reader.id)
    if mutual:
        introduce(reader, other)
    return mutual


def asked(requester_id: int, wanted_id: int) -> bool:
    """True when requester_id has asked to meet wanted_id."""
    found = db.session.scalar(
        select(MeetRequest.id).where(
            MeetRequest.requester_id == requester_id, MeetRequest.wanted_id == wanted_id
        )
    )
    return found is not None


def introduce(one: Guest, other: Guest) -> None:
    """Queue the introduction for each of the two (at most once each) and start sending."""
    digest_outbox.queue_introduction(one.event, one, other)
    digest_outbox.queue_introduction(other.event, other, one)
    tasks.send_digests(one.event_id)


def _insert():
    """An INSERT that can skip a row already there, in the database's own dialect."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(MeetRequest)
