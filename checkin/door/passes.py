"""Door passes: named links for volunteers, expiring and revocable, stored hashed."""

from datetime import UTC, datetime, timedelta

from flask import abort, current_app
from sqlalchemy import func, select

from ..database import writing
from ..events import tickets
from ..extensions import db
from ..models import CheckInAttempt, DoorPass, Event, utcnow

# Sent with every 401 a door link or the door API answers: the phone then deletes the guest list
# it saved. A 401 without it (a proxy's, a captive portal's) deletes nothing.
ENDED_HEADER = {"X-Door-Pass": "ended"}


def create(event: Event, name: str, hours: int | None = None) -> DoorPass:
    """A new pass for one volunteer at one event."""
    hours = hours or current_app.config["DOOR_PASS_HOURS"]
    salt = tickets.new_salt()
    with writing():
        door_pass = DoorPass(
            event_id=event.id,
            name=name.strip()[:100],
            salt=salt,
            token_hash=tickets.digest(tickets.derive("door", salt)),
            expires_at=utcnow() + timedelta(hours=hours),
        )
        db.session.add(door_pass)
    return door_pass


def token_of(door_pass: DoorPass) -> str:
    """The secret in a pass's link (derived again from its salt and the server's key)."""
    return tickets.derive("door", door_pass.salt)


def link(door_pass: DoorPass) -> str:
    """The full link a volunteer opens."""
    return f"{current_app.config['BASE_URL']}/door/{token_of(door_pass)}"


def revoke(door_pass: DoorPass) -> None:
    """Stop a pass working at once (revoking twice keeps the first time)."""
    with writing():
        if door_pass.revoked_at is None:
            door_pass.revoked_at = utcnow()


def event_slug_of(token: str | None) -> str | None:
    """The slug of the event a door link was made for, whether or not the link still works."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        select(Event.slug)
        .join(DoorPass, DoorPass.event_id == Event.id)
        .where(DoorPass.token_hash == tickets.digest(token))
    )


def passes_of(event: Event) -> list[DoorPass]:
    """An event's passes, newest first."""
    return list(
        db.session.scalars(
            select(DoorPass).where(DoorPass.event_id == event.id).order_by(DoorPass.id.desc())
        )
    )


def pass_of(event: Event, pass_id: int) -> DoorPass:
    """One of this event's passes, or 404 (another event's pass is not found either)."""
    door_pass = db.session.scalar(
        select(DoorPass).where(DoorPass.id == pass_id, DoorPass.event_id == event.id)
    )
    if door_pass is None:
        abort(404)
    return door_pass


def last_used(event: Event) -> dict[int, datetime]:
    """When each of the event's passes last sent a check-in attempt, by pass id."""
    rows = db.session.execute(
        select(CheckInAttempt.door_pass_id, func.max(CheckInAttempt.received_at))
        .where(CheckInAttempt.event_id == event.id, CheckInAttempt.door_pass_id.is_not(None))
        .group_by(CheckInAttempt.door_pass_id)
    )
    return {pass_id: _aware(moment) for pass_id, moment in rows}


def _aware(moment):
    """An aggregate's moment as an aware UTC datetime, whatever the backend hands back."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
