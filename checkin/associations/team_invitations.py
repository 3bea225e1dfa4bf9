"""Invitations to a team: an email with a link; opening it shows the invitation, a POST accepts.

The link's token is derived from a random salt and SECRET_KEY (as tickets are), and only its
SHA-256 is stored: the mail job rebuilds it from the salt, so no secret waits in the queue. An
invitation is for one address: the organizer who accepts signs in with it, or signs up with it
on the invitation's page. It ends when accepted, revoked, replaced by a newer one to the same
address, or LIFETIME after it was sent.
"""

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from .. import tasks
from ..database import writing
from ..events import tickets
from ..extensions import db
from ..models import Association, Membership, Organizer, TeamInvitation, utcnow
from . import teams

LIFETIME = timedelta(days=7)
PURPOSE = "team-invitation"


def invite(association: Association, by: Organizer, email: str, role: str) -> TeamInvitation:
    """Invite an address to the team with a role and send the email; an earlier open
    invitation to the same address stops working."""
    email = email.strip().lower()
    if role not in teams.ROLES:
        raise teams.TeamError("Choose owner, organizer or viewer.")
    if _member_with(association, email):
        raise teams.TeamError(f"{email} is already on the team.")
    salt = tickets.new_salt()
    now = utcnow()
    with writing():
        _revoke_open(association, email, now)
        invitation = TeamInvitation(
            association_id=association.id, email=email, role=role, salt=salt,
            token_hash=tickets.digest(tickets.derive(PURPOSE, salt)),
            invited_by_id=by.id, created_at=now, expires_at=now + LIFETIME,
        )  # fmt: skip
        db.session.add(invitation)
    tasks.send_team_invitation(invitation.id)
    return invitation


def link(invitation: TeamInvitation) -> str:
    """The invitation's link, as the email carries it."""
    token = tickets.derive(PURPOSE, invitation.salt)
    return f"{current_app.config['BASE_URL']}/team/join/{token}"  # the job has no request


def find(token: str) -> TeamInvitation | None:
    """The invitation this token belongs to, whatever its state."""
    if not token or len(token) > 64:
        return None
    digest = tickets.digest(token)
    return db.session.scalar(select(TeamInvitation).where(TeamInvitation.token_hash == digest))


def state(invitation: TeamInvitation, now: datetime | None = None) -> str:
    """open, accepted, revoked or expired."""
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    return "expired" if (now or utcnow()) >= invitation.expires_at else "open"


def accept(invitation: TeamInvitation, organizer: Organizer) -> Membership:
    """Put the organizer on the team with the invitation's role; a second accept changes nothing."""
    if organizer.email.lower() != invitation.email:
        raise teams.TeamError(f"This invitation is for {invitation.email}.")
    with writing():
        db.session.refresh(invitation)
        held = _membership(invitation.association_id, organizer.id)
        if held is not None and invitation.accepted_at is not None:
            return held  # accepted already: the double submit
        if state(invitation) != "open":
            raise teams.TeamError("This invitation no longer works: ask the team for a new one.")
        if held is None:
            held = Membership(
                association_id=invitation.association_id,
                organizer_id=organizer.id,
                role=invitation.role,
            )
            db.session.add(held)
        invitation.accepted_at = utcnow()
    return held


def open_invitations(association: Association) -> list[TeamInvitation]:
    """The invitations still waiting for an answer, newest first."""
    now = utcnow()
    return [
        i
        for i in db.session.scalars(
            select(TeamInvitation)
            .where(TeamInvitation.association_id == association.id)
            .order_by(TeamInvitation.created_at.desc())
        )
        if state(i, now) == "open"
    ]


def invitation_of(association: Association, invitation_id: int) -> TeamInvitation | None:
    """One of this association's invitations, or None."""
    found = db.session.get(TeamInvitation, invitation_id)
    return found if found is not None and found.association_id == association.id else None


def revoke(invitation: TeamInvitation) -> None:
    """Stop an invitation working (again: nothing more happens)."""
    with writing():
        if invitation.revoked_at is None and invitation.accepted_at is None:
            invitation.revoked_at = utcnow()


def deliver(invitation_id: int) -> bool:
    """Send the invitation's email (the job); False when it is no longer open or failed."""
    from ..mail import messages, transport

    invitation = db.session.get(TeamInvitation, invitation_id)
    if invitation is None or state(invitation) != "open":
        return False
    message = messages.team_invitation(invitation, link(invitation))
    return all(o.ok for o in transport.send([message], f"team-{invitation.association.slug}"[:80]))


def _member_with(association: Association, email: str) -> bool:
    found = (
        select(Membership.id)
        .join(Organizer)
        .where(Membership.association_id == association.id, Organizer.email == email)
    )
    return db.session.scalar(found) is not None


def _membership(association_id: int, organizer_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(
            Membership.association_id == association_id, Membership.organizer_id == organizer_id
        )
    )


def _revoke_open(association: Association, email: str, now: datetime) -> None:
    db.session.execute(
        update(TeamInvitation)
        .where(
            TeamInvitation.association_id == association.id,
            TeamInvitation.email == email,
            TeamInvitation.accepted_at.is_(None),
            TeamInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
