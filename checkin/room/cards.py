""" "Who you met" cards: record, edit, delete one's own; mutual connections; what may be shown."""

import re
from dataclasses import dataclass

from flask import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import writing
from ..events import tickets
from ..extensions import db
from ..forms import NONCE
from ..models import Card, Guest, utcnow

# Quick tags, in the order the card form shows them. A fixed set, so the digest can say
# "what you said you'd do" (intro, send a link, coffee...) for every card that carries one.
QUICK_TAGS = {
    "coffee": "Coffee",
    "job-lead": "Job lead",
    "mentoring": "Mentoring",
    "intro": "Intro",
    "send-link": "Send a link",
    "hiring": "Hiring",
}
NOTE_LIMIT = 4000  # about a page of text: a note, not a diary
VIA = ("scan", "link", "list", "back")  # how the card was made: QR in the app, camera, list, back
NONCE_RE = re.compile(NONCE)
MAX_ID = 2**31 - 1  # ids are 32-bit: a bigger number is no one's (PostgreSQL would refuse it)


class CardError(ValueError):
    """A card request that cannot be honoured; the message says why, in plain words."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass
class Recorded:
    """The outcome of recording: the card, and whether this request made it."""

    card: Card
    created: bool


def resolve_code(me: Guest, scanned: str) -> Guest:
    """The guest of my event whose QR this is; another event's code or no one's is unknown."""
    found = tickets.find(scanned)
    if found is None or found[0].revoked_at is not None or found[0].event_id != me.event_id:
        raise CardError("That QR code is not a ticket for this event.", 404)
    return found[0].guest


def resolve_id(me: Guest, attendee_id) -> Guest:
    """Someone I may pick by id: checked in and findable, or someone who recorded me."""
    person = db.session.get(Guest, attendee_id) if is_id(attendee_id) else None
    if person is None or person.event_id != me.event_id or not may_pick(me, person):
        raise CardError("No one with that id is in the room list.", 404)
    return person


def may_pick(me: Guest, person: Guest) -> bool:
    """True when the person shows in my pick list, has recorded me (so I can connect back),
    or is already on my cards (so a retried submission finds its card)."""
    if person.consent_findable and person.checked_in_at is not None:
        return True
    return recorded(person.id, me.id) is not None or recorded(me.id, person.id) is not None


def record(
    me: Guest, subject: Guest, nonce: str, note="", tags=(), starred=False, via="list"
) -> Recorded:
    """Record meeting someone: one card per person; a repeat (nonce or person) records nothing."""
    if subject.id == me.id:
        raise CardError("That is your own code: scan someone else's.")
    if subject.event_id != me.event_id:
        raise CardError("That person is not at this event.", 404)
    nonce, via = clean_nonce(nonce), clean_via(via)
    note, tags, starred = clean_note(note), clean_tags(tags), clean_starred(starred)
    if existing := _existing(me.id, subject.id, nonce):
        return Recorded(existing, False)
    try:
        with writing():
            card = Card(
                event_id=me.event_id,
                author_id=me.id,
                subject_id=subject.id,
                nonce=nonce,
                note=note,
                tags=tags,
                starred=starred,
                via=via,
            )
            db.session.add(card)
    except IntegrityError:  # a concurrent twin got there first: answer with its card
        if existing := _existing(me.id, subject.id, nonce):
            return Recorded(existing, False)
        raise
    return Recorded(card, True)


def update(me: Guest, card_id: int, changes: dict) -> Card:
    """Change my card's note, tags or star."""
    card = card_of(me, card_id)
    values = {}
    if "note" in changes:
        values["note"] = clean_note(changes["note"])
    if "tags" in changes:
        values["tags"] = clean_tags(changes["tags"])
    if "starred" in changes:
        values["starred"] = clean_starred(changes["starred"])
    with writing():
        card = card_of(me, card_id)
        for name, value in values.items():
            setattr(card, name, value)
        card.updated_at = utcnow()
    return card


def delete(me: Guest, card_id: int) -> None:
    """Delete my card (the other side's card of me stays theirs)."""
    with writing():
        db.session.delete(card_of(me, card_id))


def card_of(me: Guest, card_id) -> Card:
    """My card with this id, or 404: another's card is not found either."""
    card = db.session.get(Card, card_id) if is_id(card_id) else None
    if card is None or card.author_id != me.id:
        abort(404)
    return card


def mine(me: Guest) -> list[Card]:
    """My cards, newest first."""
    return list(
        db.session.scalars(
            select(Card)
            .where(Card.author_id == me.id)
            .order_by(Card.created_at.desc(), Card.id.desc())
        )
    )


def recorded(author_id: int, subject_id: int) -> Card | None:
    """The card author_id made of subject_id, if any."""
    return db.session.scalar(
        select(Card).where(Card.author_id == author_id, Card.subject_id == subject_id)
    )


def mutual_ids(me: Guest) -> set[int]:
    """The people I recorded who recorded me too."""
    theirs = select(Card.author_id).where(Card.subject_id == me.id)
    return set(
        db.session.scalars(
            select(Card.subject_id).where(Card.author_id == me.id, Card.subject_id.in_(theirs))
        )
    )


def waiting_for_me(me: Guest) -> list[Guest]:
    """People who recorded me whom I have not recorded: each gets a "Connect back"."""
    mine_ = select(Card.subject_id).where(Card.author_id == me.id, Card.subject_id.is_not(None))
    return list(
        db.session.scalars(
            select(Guest)
            .join(Card, Card.author_id == Guest.id)
            .where(Card.subject_id == me.id, Guest.id.not_in(mine_))
            .order_by(Card.created_at.desc())
        )
    )


def contact(me: Guest, other: Guest, mutual: bool) -> dict | None:
    """Their email and LinkedIn, only for a mutual connection where both chose to share."""
    if not (mutual and me.consent_share_contact and other.consent_share_contact):
        return None
    return {"email": other.networking_email or other.email, "linkedin": other.linkedin_url}


def public_fields(person: Guest) -> dict:
    """What another guest may see: the badge's name and year; the profile only if findable."""
    fields = {
        "id": person.id,
        "name": person.name,
        "first_name": person.first_name,
        "class_year": person.class_year,
    }
    if person.consent_findable:
        fields |= {
            name: getattr(person, name)
            for name in ("role", "employer", "city", "industry", "major", "residence_hall", "clubs")
        }
    return fields


def is_id(value) -> bool:
    """True for a whole number that could be a row id (not a bool, not out of range)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def clean_nonce(nonce) -> str:
    """The submission's nonce, which a retry repeats; required so retries record once."""
    if not isinstance(nonce, str) or not NONCE_RE.fullmatch(nonce):
        raise CardError("'nonce' must be 8 to 64 letters, digits, '-' or '_' (a UUID works).")
    return nonce


def clean_via(via) -> str:
    """How the card was made, from the known ways."""
    if via not in VIA:
        raise CardError(f"'via' must be one of: {', '.join(VIA)}.")
    return via


def clean_starred(starred) -> bool:
    """The follow-up star: true or false, nothing else."""
    if not isinstance(starred, bool):
        raise CardError("'starred' must be true or false.")
    return starred


def clean_note(note) -> str:
    """A note as given, or a clear refusal when it is not text or far too long."""
    if note is None:
        return ""
    if not isinstance(note, str):
        raise CardError("A note must be text.")
    note = note.replace("\x00", "").strip()
    if len(note) > NOTE_LIMIT:
        raise CardError(f"Keep notes under {NOTE_LIMIT:,} characters (this one has {len(note):,}).")
    return note


def clean_tags(tags) -> list[str]:
    """Quick tags from the fixed set, in its order; anything else is refused."""
    if tags is None:
        return []
    if not isinstance(tags, list | tuple) or not all(isinstance(t, str) for t in tags):
        raise CardError("Tags must be a list of quick tags.")
    unknown = [t for t in tags if t not in QUICK_TAGS]
    if unknown:
        raise CardError(f"Unknown tag {unknown[0][:40]!r}; use: {', '.join(QUICK_TAGS)}.")
    return [t for t in QUICK_TAGS if t in tags]


def _existing(author_id: int, subject_id: int, nonce: str) -> Card | None:
    """The card this submission repeats: same nonce, or same person met."""
    return db.session.scalar(
        select(Card).where(Card.author_id == author_id, Card.nonce == nonce)
    ) or recorded(author_id, subject_id)
