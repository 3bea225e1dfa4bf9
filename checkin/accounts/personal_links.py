"""Personal links: a guest's unguessable sign-in link to the event app, stored hashed.

A link ends when it is replaced, and PERSONAL_LINK_DAYS after the event's digest (or after it
was made, if later): by then the guest has had the digest and the event has little left to
show, and a link forwarded or found in an old mailbox should not open their notes forever.
"Email me my link again" sends a fresh one for as long as the event keeps their data.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import insert, select, update

from ..database import writing
from ..digest import schedule
from ..events import tickets
from ..extensions import db
from ..models import Event, Guest, PersonalLink, utcnow


def issue(guest: Guest) -> PersonalLink:
    """A new personal link; the old one stops working, and so do sessions opened with it."""
    with writing():
        db.session.execute(
            update(PersonalLink)
            .where(PersonalLink.attendee_id == guest.id, PersonalLink.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        link = _new(guest)
        db.session.add(link)
    return link


def current(attendee_id: int) -> PersonalLink | None:
    """The guest's link that still works, if any."""
    return db.session.scalar(
        select(PersonalLink).where(
            PersonalLink.attendee_id == attendee_id, PersonalLink.revoked_at.is_(None)
        )
    )


def ensure(guest: Guest) -> PersonalLink:
    """The guest's working link, made on first need (or anew once the old one expired)."""
    link = current(guest.id)
    return link if works(link) else issue(guest)


def ensure_all(event_id: int) -> dict[int, PersonalLink]:
    """Every guest's working link for an event, making the missing ones in one insert."""
    _retire_expired(event_id)
    have = {link.attendee_id: link for link in _working(event_id)}
    missing = db.session.scalars(
        select(Guest.id).where(Guest.event_id == event_id, Guest.id.not_in(have))
    ).all()
    if missing:
        with writing():
            rows = [_row(event_id, attendee_id) for attendee_id in missing]
            db.session.execute(insert(PersonalLink.__table__), rows)
        have = {link.attendee_id: link for link in _working(event_id)}
    return have


def token_of(link: PersonalLink) -> str:
    """The secret in the link (derived again from its salt and the server's key)."""
    return tickets.derive("link", link.salt)


def url_of(link: PersonalLink) -> str:
    """The full personal link, as mailed."""
    return f"{current_app.config['BASE_URL']}/in/{token_of(link)}"


def expires_at(link: PersonalLink) -> datetime:
    """When the link stops signing in: some days after the digest, or after it was made."""
    days = timedelta(days=current_app.config["PERSONAL_LINK_DAYS"])
    return max(schedule.digest_time(link.guest.event), link.created_at) + days


def works(link: PersonalLink | None, now: datetime | None = None) -> bool:
    """True for a link that is neither replaced nor past its end."""
    return link is not None and link.revoked_at is None and (now or utcnow()) < expires_at(link)


def find(token: str, now: datetime | None = None) -> PersonalLink | None:
    """The working link a token names, or None (replaced, expired, unknown, malformed)."""
    link = find_any(token)
    return link if works(link, now) else None


def why_not(link: PersonalLink | None) -> str:
    """Why a link that does not work fails: "unknown", "replaced" or "expired"."""
    if link is None:
        return "unknown"
    return "replaced" if link.revoked_at is not None else "expired"


def find_any(token: str) -> PersonalLink | None:
    """The link a token names, working or replaced; None when unknown or malformed."""
    token = (token or "").strip().upper()
    if not tickets.CODE_RE.match(token):
        return None
    return db.session.scalar(
        select(PersonalLink).where(PersonalLink.token_hash == tickets.digest(token))
    )


def _retire_expired(event_id: int) -> None:
    """Links past their end count as replaced, so the next email carries a fresh one."""
    now = utcnow()
    cutoff = now - timedelta(days=current_app.config["PERSONAL_LINK_DAYS"])
    if schedule.digest_time(db.session.get(Event, event_id)) > cutoff:
        return  # every link of the event still works
    with writing():
        db.session.execute(
            update(PersonalLink)
            .where(PersonalLink.event_id == event_id, PersonalLink.revoked_at.is_(None))
            .where(PersonalLink.created_at <= cutoff)
            .values(revoked_at=now)
        )


def _working(event_id: int):
    return db.session.scalars(
        select(PersonalLink).where(
            PersonalLink.event_id == event_id, PersonalLink.revoked_at.is_(None)
        )
    )


def _new(guest: Guest) -> PersonalLink:
    return PersonalLink(**_row(guest.event_id, guest.id))


def _row(event_id: int, attendee_id: int) -> dict:
    salt = tickets.new_salt()
    token_hash = tickets.digest(tickets.derive("link", salt))
    return {
        "event_id": event_id,
        "attendee_id": attendee_id,
        "salt": salt,
        "token_hash": token_hash,
    }
