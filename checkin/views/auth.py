"""Organizer sign-in and sign-out."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from .. import accounts
from ..extensions import limiter
from ..forms import SignInForm

bp = Blueprint("auth", __name__)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def sign_in():
    """Show the sign-in form; on POST, sign the organizer in."""
    form = SignInForm()
    if form.validate_on_submit():
        organizer = accounts.authenticate(form.email.data, form.password.data)
        if organizer:
            login_user(organizer, remember=True)
            return redirect(_safe_next() or url_for("organizer.events"))
        form.password.errors.append("That email and password do not match.")
    status = 422 if form.is_submitted() else 200
    return render_template("auth/sign_in.html", form=form), status


@bp.post("/sign-out")
def sign_out():
    """Sign the organizer out."""
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.sign_in"))


def _safe_next() -> str | None:
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else None
