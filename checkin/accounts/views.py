"""Organizer sign-in and sign-out."""

import logging
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from .. import accounts
from ..forms import SignInForm
from ..rate_limits import Rule, account, account_from_here, limited, refused

bp = Blueprint("auth", __name__)
log = logging.getLogger("checkin.auth")

# Only refused sign-ins count, and every window ends: a guesser is slowed, the organizer who
# typed the password right is never counted, and at worst waits out the window.
TOO_MANY = "Too many failed sign-ins for this account."
PER_ACCOUNT_HERE = Rule(
    "5 per 15 minutes", "sign-in-account-ip", TOO_MANY, account_from_here, refused
)
PER_ACCOUNT = Rule("10 per 15 minutes", "sign-in-account", TOO_MANY, account, refused)
PER_ADDRESS = Rule(
    "30 per 15 minutes", "sign-in-ip", "Too many failed sign-ins from here.", counts=refused
)


@bp.route("/sign-in", methods=["GET", "POST"])
@limited(PER_ACCOUNT_HERE, PER_ACCOUNT, PER_ADDRESS)
def sign_in():
    """Show the sign-in form; on POST, sign the organizer in."""
    if accounts.signed_in_organizer() and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or url_for("organizer.events"))
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        organizer = accounts.authenticate(form.email.data, form.password.data)
        if organizer:
            login_user(organizer, remember=True)
            return redirect(safe_next(request.args.get("next")) or url_for("organizer.events"))
        log.warning("Failed sign-in for %r from %s", form.email.data[:100], request.remote_addr)
        failed = True
    status = 422 if form.is_submitted() else 200
    return render_template("auth/sign_in.html", form=form, failed=failed), status


@bp.post("/sign-out")
def sign_out():
    """Sign the organizer out."""
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.sign_in"))


def safe_next(target: str | None) -> str | None:
    """A `next` target only if it stays on this site: a plain path, never another host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    # Browsers drop tabs and newlines and read "\" as "/", so "/\t/evil" would leave the site.
    if any(ch == "\\" or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None
