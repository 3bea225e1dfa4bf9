"""Who is signed in: organizer accounts (email + password) and guests (personal links).

Flask-Login keeps one user per browser session, typed "organizer:<id>" or
"guest:<id>:<link id>". Opening a personal link therefore signs an organizer out in that
browser, and organizer pages check the type, never just "signed in".
"""

from functools import wraps

from flask import Response, abort, flash, redirect, request
from flask_login import current_user, login_url, login_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..associations import teams
from ..database import writing
from ..extensions import db, htmx, login_manager
from ..models import Guest, Organizer, OrganizerSignIn, PersonalLink
from . import personal_links

# Compared against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """An account could not be created as asked."""


def create_organizer(email: str, password: str, name: str = "") -> Organizer:
    """Create an organizer with a hashed password."""
    email = email.strip().lower()
    if len(password) < 10:
        raise AccountError("Use a password of at least 10 characters.")
    if find_by_email(email):
        raise AccountError(f"An organizer with {email} already exists.")
    organizer = Organizer(email=email, name=name, password_hash=generate_password_hash(password))
    with writing():
        db.session.add(organizer)
        db.session.flush()
        teams.add_personal(organizer)
    return organizer


def find_by_email(email: str) -> Organizer | None:
    """The organizer with this email, case-insensitively."""
    return db.session.scalar(select(Organizer).where(func.lower(Organizer.email) == email.lower()))


def authenticate(email: str, password: str) -> Organizer | None:
    """The organizer if the password matches, else None."""
    organizer = find_by_email(email.strip())
    if organizer is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return organizer if check_password_hash(organizer.password_hash, password) else None


@login_manager.unauthorized_handler
def _unauthorized():
    """Send people to sign in; an htmx poll from an expired session reloads the whole page."""
    if htmx:
        # A redirect would swap the sign-in page into a fragment; reload the page instead,
        # which then redirects to sign-in and back.
        return Response(status=401, headers={"HX-Refresh": "true"})
    flash(login_manager.login_message)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def organizer_required(view):
    """Let only a signed-in organizer through; anyone else goes to sign in."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not isinstance(current_user._get_current_object(), Organizer):
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return guarded


def signed_in_organizer() -> Organizer | None:
    """The organizer signed in here, if the session is an organizer's."""
    user = current_user._get_current_object()
    return user if isinstance(user, Organizer) else None


def sign_in_guest(link: PersonalLink) -> Guest:
    """Start a guest's session from their personal link (the POST, never the GET). An
    organizer who does so is on record, for the guest to see in their data."""
    guest = link.guest
    organizer = current_user._get_current_object()
    if isinstance(organizer, Organizer):
        with writing():
            db.session.add(
                OrganizerSignIn(attendee_id=guest.id, organizer_id=organizer.id,
                                organizer_email=organizer.email)
            )  # fmt: skip
    guest.session_link_id = link.id
    login_user(guest, remember=True)
    return guest


def signed_in_guest(event_id: int | None = None) -> Guest | None:
    """The guest signed in here (for this event, when given)."""
    user = current_user._get_current_object()
    if not isinstance(user, Guest):
        return None
    return user if event_id is None or user.event_id == event_id else None


def guest_of_event(slug: str) -> Guest:
    """The signed-in guest of the event with this slug, or 404 (no hint that it exists)."""
    user = current_user._get_current_object()
    if not isinstance(user, Guest) or user.event.slug != slug:
        abort(404)
    return user


@login_manager.user_loader
def _load(user_id: str) -> Organizer | Guest | None:
    kind, _, rest = user_id.partition(":")
    if kind == "organizer":
        return _load_organizer(rest)
    if kind in ("guest", "attendee"):  # "attendee": sessions signed in before the rename
        return _load_guest(rest)
    return None


def _load_organizer(rest: str) -> Organizer | None:
    """The organizer, while the session's generation is theirs (a removal from a team raises
    it): "<id>:<generation>", or "<id>" for a session from before generations (0)."""
    organizer_id, _, generation = rest.partition(":")
    if not organizer_id.isdigit() or not (generation or "0").isdigit():
        return None
    organizer = db.session.get(Organizer, int(organizer_id))
    if organizer is None or (organizer.session_generation or 0) != int(generation or "0"):
        return None
    return organizer


def _load_guest(rest: str) -> Guest | None:
    """The guest, only while the personal link that opened the session still works."""
    attendee_id, _, link_id = rest.partition(":")
    if not (attendee_id.isdigit() and link_id.isdigit()):
        return None
    link = db.session.scalar(
        select(PersonalLink)
        .options(joinedload(PersonalLink.guest).joinedload(Guest.event))  # one query a request
        .where(
            PersonalLink.id == int(link_id),
            PersonalLink.attendee_id == int(attendee_id),
            PersonalLink.revoked_at.is_(None),
        )
    )
    if not personal_links.works(link):
        return None  # replaced or expired: the session ends with the link
    guest = link.guest
    guest.session_link_id = link.id
    return guest


def organizer_sign_ins(guest: Guest) -> list[OrganizerSignIn]:
    """When an organizer signed in with this guest's link (newest first)."""
    return list(
        db.session.scalars(
            select(OrganizerSignIn)
            .where(OrganizerSignIn.attendee_id == guest.id)
            .order_by(OrganizerSignIn.signed_in_at.desc())
        )
    )
