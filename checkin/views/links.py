"""Personal links: "Continue as <first name>" (only a POST signs in); "send me my link again"."""

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from .. import events, links, tasks
from ..accounts import sign_in_attendee, signed_in_attendee
from ..forms import ContinueForm, LinkAgainForm
from ..models import Event
from ..rate_limits import Rule, limited

bp = Blueprint("links", __name__)

TOO_MANY = "Too many requests for a link."


def _address() -> str:
    """The rate-limit key for one email address, however it is capitalized."""
    return "link-again:" + request.form.get("email", "").strip().lower()[:254]


@bp.get("/in/<token>")
def show(token: str):
    """Who the link belongs to, and a button to continue: opening the link changes nothing."""
    link = links.find(token)
    if link is None:
        return _unknown(token)
    attendee = link.attendee
    me = signed_in_attendee(attendee.event_id)
    if me is not None and me.id == attendee.id and me.session_link_id == link.id:
        return redirect(url_for("attendee.home", slug=attendee.event.slug))
    page = render_template(
        "links/continue.html", form=ContinueForm(), attendee=attendee, event=attendee.event
    )
    return _private(page)


@bp.post("/in/<token>")
def sign_in(token: str):
    """Sign in with the link and go to the event home."""
    link = links.find(token)
    if link is None:
        return _unknown(token)
    attendee = sign_in_attendee(link)
    return redirect(url_for("attendee.home", slug=attendee.event.slug))


# Both forms share one budget per address and per IP: asking at two URLs gives no more tries.
# A venue's guests share one public IP and the door poster sends them all here, so the IP's
# budget fits a room; what stops one inbox being flooded is the budget per email address.
PER_IP = Rule("60 per minute;600 per hour", "link-again-ip", TOO_MANY)
PER_ADDRESS = Rule("3 per hour;10 per day", "link-again-address", TOO_MANY, _address)


@bp.route("/e/<slug>/link-again", methods=["GET", "POST"])
@limited(PER_IP, PER_ADDRESS)
def again(slug: str):
    """Send an event's ticket email again: the same answer for known and unknown addresses."""
    return _again(_event(slug))


@bp.route("/link-again", methods=["GET", "POST"])
@limited(PER_IP, PER_ADDRESS)
def again_anywhere():
    """The same, for any event still to come (from a link too old to name its event)."""
    return _again(None)


def _again(event: Event | None):
    form = LinkAgainForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("links/again.html", form=form, event=event), status
    # The lookup happens in the task, so a known address answers no slower than an unknown one.
    tasks.send_link_again(form.email.data, event.id if event else None)
    return render_template("links/again_sent.html", email=form.email.data, event=event)


def _unknown(token: str):
    """A friendly 404 for a link that is unknown or was replaced, with the way to a new one."""
    event = _event_of_old_link(token)
    page = render_template("links/unknown.html", form=LinkAgainForm(formdata=None), event=event)
    return _private(page, 404)


def _event_of_old_link(token: str) -> Event | None:
    """The event of a replaced link, to offer that event's form; None for an unknown one."""
    old = links.find_any(token)
    return old.attendee.event if old is not None else None


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
