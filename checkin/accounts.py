"""Organizer accounts: create, authenticate, load for Flask-Login."""

from flask import Response, flash, redirect, request
from flask_login import login_url
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db, htmx, login_manager
from .models import Organizer

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
    db.session.add(organizer)
    db.session.commit()
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


@login_manager.user_loader
def _load(organizer_id: str) -> Organizer | None:
    return db.session.get(Organizer, int(organizer_id)) if organizer_id.isdigit() else None
