"""Teams: an association's members and their roles, and the checks every organizer page makes.

Roles: an owner manages the team and the association's settings and runs its events; an
organizer runs its events; a viewer reads lists and counts and changes nothing. Every
association keeps at least one owner: the last owner can neither leave nor be demoted.
Removing someone raises their session generation (Organizer.session_generation), which ends
every session they have open: they sign in again and see only the teams they are still on.
"""

import re
import secrets

from flask import abort
from sqlalchemy import func, select, update

from ..database import writing
from ..extensions import db
from ..models import Association, Membership, Organizer

ROLES = ("owner", "organizer", "viewer")
CHANGERS = frozenset({"owner", "organizer"})  # may change an event and its guests
ROLE_NAMES = {"owner": "Owner", "organizer": "Organizer", "viewer": "Viewer"}


class TeamError(ValueError):
    """A change to a team that would break it (the last owner leaving, say)."""


def slug_for(name: str) -> str:
    """A URL-safe association slug, made unique with a short random suffix."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50] or "team"
    return f"{base}-{secrets.token_hex(3)}"


def personal_name(organizer: Organizer) -> str:
    """The name of an organizer's own association: "Olga's events"."""
    return f"{(organizer.name or '').strip() or organizer.email}'s events"[:200]


def add_personal(organizer: Organizer) -> Association:
    """Give a new organizer an association of their own, with them its owner (inside a write)."""
    name = personal_name(organizer)
    association = Association(name=name, slug=slug_for(name))
    db.session.add(association)
    db.session.flush()
    db.session.add(
        Membership(association_id=association.id, organizer_id=organizer.id, role="owner")
    )
    return association


def memberships_of(organizer: Organizer) -> list[Membership]:
    """The organizer's teams, by association name."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(Association)
            .where(Membership.organizer_id == organizer.id)
            .order_by(func.lower(Association.name), Association.id)
        )
    )


def role_in(organizer: Organizer, association_id: int) -> str | None:
    """The organizer's role on the association's team, or None when not on it."""
    return db.session.scalar(
        select(Membership.role).where(
            Membership.organizer_id == organizer.id, Membership.association_id == association_id
        )
    )


def can_change(role: str | None) -> bool:
    """True for a role that may change events and guests (owner, organizer)."""
    return role in CHANGERS


def where_they_run_events(organizer: Organizer) -> list[Association]:
    """The associations the organizer may create events in (owner or organizer), by name."""
    return [m.association for m in memberships_of(organizer) if can_change(m.role)]


def association_of(organizer: Organizer, slug: str, owner: bool = False) -> tuple[Association, str]:
    """The association with this slug and the organizer's role on it; 404 when not a member,
    403 when owner is asked for and they are not one."""
    found = db.session.execute(
        select(Association, Membership.role)
        .join(Membership, Membership.association_id == Association.id)
        .where(Association.slug == slug, Membership.organizer_id == organizer.id)
    ).first()
    if found is None:
        abort(404)
    if owner and found.role != "owner":
        abort(403)
    return found.Association, found.role


def members(association: Association) -> list[Membership]:
    """The team: owners first, then organizers, then viewers, by name."""
    order = {role: i for i, role in enumerate(ROLES)}
    rows = db.session.scalars(
        select(Membership).where(Membership.association_id == association.id)
    ).all()
    return sorted(
        rows, key=lambda m: (order[m.role], (m.organizer.name or m.organizer.email).lower())
    )


def member(association: Association, membership_id: int) -> Membership:
    """One member of this association's team, or 404."""
    found = db.session.get(Membership, membership_id)
    if found is None or found.association_id != association.id:
        abort(404)
    return found


def change_role(membership: Membership, role: str) -> Membership:
    """Give a member another role; the last owner stays an owner."""
    if role not in ROLES:
        raise TeamError("Choose owner, organizer or viewer.")
    with writing():
        db.session.refresh(membership)
        if membership.role == "owner" and role != "owner" and _owners(membership) == 1:
            raise TeamError("The team needs an owner: make someone else owner first.")
        membership.role = role
    return membership


def remove(membership: Membership) -> None:
    """Take someone off the team and end their open sessions; the last owner stays."""
    with writing():
        db.session.refresh(membership)
        if membership.role == "owner" and _owners(membership) == 1:
            raise TeamError("The team needs an owner: make someone else owner first.")
        db.session.execute(
            update(Organizer)
            .where(Organizer.id == membership.organizer_id)
            .values(session_generation=Organizer.session_generation + 1)
        )
        db.session.delete(membership)


def update_settings(
    association: Association, name: str, description: str, forget_days: int | None = None
) -> Association:
    """Rename the association, change its description and how long members are remembered."""
    with writing():
        association.name = name.strip()[:200]
        association.description = (description or "").strip()
        if forget_days is not None:
            settings = dict(association.settings or {})
            association.settings = settings | {"forget_members_after_days": int(forget_days)}
    return association


def _owners(membership: Membership) -> int:
    return db.session.scalar(
        select(func.count()).where(
            Membership.association_id == membership.association_id, Membership.role == "owner"
        )
    )
