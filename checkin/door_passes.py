"""Door passes: named links for volunteers, expiring and revocable, stored hashed."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from . import tickets
from .extensions import db
from .models import DoorPass, Event, utcnow


def create(event: Event, name: str, hours: int | None = None) -> DoorPass:
    """A new pass for one volunteer at one event."""
    hours = hours or current_app.config["DOOR_PASS_HOURS"]
    salt = tickets.new_salt()
    door_pass = DoorPass(
        event_id=event.id,
        name=name.strip()[:100],
        salt=salt,
        token_hash=tickets.digest(tickets.derive("door", salt)),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    db.session.add(door_pass)
    db.session.commit()
    return door_pass


def token_of(door_pass: DoorPass) -> str:
    """The secret in a pass's link (derived again from its salt and the server's key)."""
    return tickets.derive("door", door_pass.salt)


def link(door_pass: DoorPass) -> str:
    """The full link a volunteer opens."""
    return f"{current_app.config['BASE_URL']}/door/{token_of(door_pass)}"


def revoke(door_pass: DoorPass) -> None:
    """Stop a pass working at once."""
    if door_pass.revoked_at is None:
        door_pass.revoked_at = utcnow()
        db.session.commit()


def passes_of(event: Event) -> list[DoorPass]:
    """An event's passes, newest first."""
    return list(
        db.session.scalars(
            select(DoorPass).where(DoorPass.event_id == event.id).order_by(DoorPass.id.desc())
        )
    )


def pass_of(event: Event, pass_id: int) -> DoorPass | None:
    """One of this event's passes."""
    return db.session.scalar(
        select(DoorPass).where(DoorPass.id == pass_id, DoorPass.event_id == event.id)
    )
