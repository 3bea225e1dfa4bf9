"""What an association remembers of a guest across its events, and only with their consent.

A guest is recognised at the association's events by email, but is the same person (linked to
a Member: Guest.member_id) only once they say so signed in with their personal link: by ticking
"Remember me at this association's events" on their profile page, or by confirming the profile
offered at a later event. The Member keeps the profile fields (PROFILE_FIELDS) so the next event
can offer them prefilled; the per-event consents (findable, share_contact, digest) are never
kept and never copied. Unticking "remember", deleting one's data, or not being seen for the
association's forget_members_after_days deletes the Member: every guest row loses its link
(SET NULL) and their "remember" consent is withdrawn on each.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from ..database import writing
from ..extensions import db
from ..models import Association, Guest, Member, utcnow
from ..privacy import consents

PROFILE_FIELDS = (
    "class_year",
    "major",
    "residence_hall",
    "clubs",
    "industry",
    "employer",
    "role",
    "city",
    "interests",
    "can_help_with",
    "wants_help_with",
    "linkedin_url",
    "networking_email",
)
FORGET_AFTER_DAYS = 730  # default for Association.settings["forget_members_after_days"]


def address(guest: Guest) -> str:
    """The guest's email as members are keyed: trimmed and lowercased."""
    return (guest.email or "").strip().lower()


def association_id(guest: Guest) -> int:
    """The association whose events the guest's event belongs to."""
    return guest.event.association_id


def remembered(guest: Guest) -> Member | None:
    """The association's member with the guest's email, if one is remembered (or None)."""
    email = address(guest)
    if not email:
        return None
    return db.session.scalar(
        select(Member).where(Member.association_id == association_id(guest), Member.email == email)
    )


def offer(guest: Guest) -> Member | None:
    """The member whose profile the guest may confirm here: remembered, not yet linked."""
    if guest.member_id is not None:
        return None
    return remembered(guest)


def profile_of(guest: Guest) -> dict:
    """The guest's profile fields as a Member keeps them."""
    return {name: getattr(guest, name) for name in PROFILE_FIELDS}


def keep(guest: Guest, now: datetime | None = None) -> Member:
    """Remember the guest (inside writing()): their member made or refreshed and linked."""
    now = now or utcnow()
    member = remembered(guest)
    if member is None:
        member = Member(association_id=association_id(guest), email=address(guest), created_at=now)
        member.remembered_at = now
        db.session.add(member)
    member.name, member.profile, member.last_seen_at = guest.name, profile_of(guest), now
    db.session.flush()
    guest.member_id = member.id
    return member


def forget(member_id: int | None, source: str = "guest", now=None, besides: int = 0) -> int:
    """Delete the member's memory (inside writing()); "remember" withdrawn on each of its guests
    (but the guest `besides`, whose own withdrawal the caller records)."""
    if member_id is None:
        return 0
    linked = db.session.scalars(
        select(Guest).where(Guest.member_id == member_id, Guest.id != besides)
    )
    for guest in linked:
        consents.record(guest, {"remember": False}, source, now)
        guest.member_id = None
    return db.session.execute(delete(Member).where(Member.id == member_id)).rowcount


def after_save(guest: Guest, now: datetime | None = None) -> None:
    """After the guest saved their profile (inside writing()): keep, refresh or forget them."""
    if guest.consent_remember and address(guest):
        keep(guest, now)
    elif guest.member_id is not None:  # only a confirmed member is forgotten from here
        forget(guest.member_id, "guest", now)


def forget_guest(guest: Guest, source: str, now: datetime | None = None) -> int:
    """Forget the member the guest is, or has the address of (inside writing(): their erase)."""
    found = guest.member_id or getattr(remembered(guest), "id", None)
    return forget(found, source, now, besides=guest.id)


def prefill(guest: Guest, member: Member) -> dict:
    """The offered profile: the member's fields; this event's choices as they are here."""
    kept = {name: value for name, value in (member.profile or {}).items() if name in PROFILE_FIELDS}
    here = {c: getattr(guest, c) for c in ("consent_findable", "consent_share_contact")}
    return kept | here | {"consent_digest": guest.consent_digest, "consent_remember": True}


def confirm(guest: Guest, values: dict) -> Guest:
    """The guest confirmed (maybe edited) the profile remembered for them: saved, and linked
    while "remember" stays ticked (unticked there, the profile is theirs here alone)."""
    from ..room import profiles

    return profiles.update(guest, values)


def forget_after_days(association: Association) -> int:
    """How many days without being seen before a member is forgotten."""
    value = (association.settings or {}).get("forget_members_after_days", FORGET_AFTER_DAYS)
    return int(value)


def purge_due(now: datetime) -> int:
    """Forget every member not seen within their association's retention; how many."""
    forgotten = 0
    with writing():
        for association in db.session.scalars(select(Association)):
            since = now - timedelta(days=forget_after_days(association))
            stale = db.session.scalars(
                select(Member.id).where(
                    Member.association_id == association.id, Member.last_seen_at < since
                )
            ).all()
            for member_id in stale:
                forgotten += forget(member_id, "retention", now)
    return forgotten
