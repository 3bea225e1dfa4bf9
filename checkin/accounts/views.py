"""Signing in: organizers with a password, guests with their personal link ("Continue as
<first name>": only a POST signs in), and "send me my link again"."""

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_user, logout_user

from .. import tasks
from ..events import events
from ..forms import ButtonForm
from ..models import Event
from ..rate_limits import Rule, account, account_from_here, limited, refused
from . import personal_links, users
from .forms import LinkAgainForm, SignInForm

bp = Blueprint("accounts", __name__)
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
    if users.signed_in_organizer() and request.method == "GET":
        return redirect(safe_next(request.args.get("next")) or url_for("events.events"))
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        organizer = users.authenticate(form.email.data, form.password.data)
        if organizer:
            login_user(organizer, remember=True)
            return redirect(safe_next(request.args.get("next")) or url_for("events.events"))
        log.warning("Failed sign-in for %r from %s", form.email.data[:100], request.remote_addr)
        failed = True
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/sign_in.html", form=form, failed=failed), status


@bp.post("/sign-out")
def sign_out():
    """Sign the organizer out."""
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("accounts.sign_in"))


def safe_next(target: str | None) -> str | None:
    """A `next` target only if it stays on this site: a plain path, never another host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    # Browsers drop tabs and newlines and read "\" as "/", so "/\t/evil" would leave the site.
    if any(ch == "\\" or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


LINK_TOO_MANY = "Too many requests for a link."


def _address() -> str:
    """The rate-limit key for one email address, however it is capitalized."""
    return "link-again:" + request.form.get("email", "").strip().lower()[:254]


@bp.get("/in/<token>")
def show(token: str):
    """Who the link belongs to, and a button to continue: opening the link changes nothing."""
    link = personal_links.find(token)
    if link is None:
        return _unknown(token)
    guest = link.guest
    me = users.signed_in_guest(guest.event_id)
    if me is not None and me.id == guest.id and me.session_link_id == link.id:
        return redirect(url_for("room.home", slug=guest.event.slug))
    page = render_template(
        "accounts/continue.html", form=ButtonForm(), guest=guest, event=guest.event
    )
    return _private(page)


@bp.post("/in/<token>")
def sign_in_with_link(token: str):
    """Sign in with the link and go to the event home."""
    link = personal_links.find(token)
    if link is None:
        return _unknown(token)
    guest = users.sign_in_guest(link)
    return redirect(url_for("room.home", slug=guest.event.slug))


# Both forms share one budget per address and per IP: asking at two URLs gives no more tries.
# A venue's guests share one public IP and the door poster sends them all here, so the IP's
# budget fits a room; what stops one inbox being flooded is the budget per email address.
LINK_PER_IP = Rule("60 per minute;600 per hour", "link-again-ip", LINK_TOO_MANY)
LINK_PER_ADDRESS = Rule("3 per hour;10 per day", "link-again-address", LINK_TOO_MANY, _address)


@bp.route("/e/<slug>/link-again", methods=["GET", "POST"])
@limited(LINK_PER_IP, LINK_PER_ADDRESS)
def again(slug: str):
    """Send an event's ticket email again: the same answer for known and unknown addresses."""
    return _again(_event(slug))


@bp.route("/link-again", methods=["GET", "POST"])
@limited(LINK_PER_IP, LINK_PER_ADDRESS)
def again_anywhere():
    """The same, for any event still to come (from a link too old to name its event)."""
    return _again(None)


def _again(event: Event | None):
    form = LinkAgainForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("accounts/again.html", form=form, event=event), status
    # The lookup happens in the task, so a known address answers no slower than an unknown one.
    tasks.send_link_again(form.email.data, event.id if event else None)
    return render_template("accounts/again_sent.html", email=form.email.data, event=event)


def _unknown(token: str):
    """A friendly page for a link that is unknown or replaced (404) or has expired (410), with
    the way to a new one (the event's own form when the link names one)."""
    old = personal_links.find_any(token)
    reason = personal_links.why_not(old)
    event = old.guest.event if old is not None else None
    form = LinkAgainForm(formdata=None)
    page = render_template("accounts/unknown.html", form=form, event=event, reason=reason)
    return _private(page, 410 if reason == "expired" else 404)


def _event(slug: str) -> Event:
    event = events.by_slug(slug)
    if event is None:
        abort(404)
    return event


def _private(page: str, status: int = 200):
    """Pages reached by a secret link are never cached or indexed."""
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
