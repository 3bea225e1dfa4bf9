"""The waitlist's pages for people, not organizers: accept an offered place (from the emailed
link: GET shows, POST accepts) and "I can't come after all" (from the guest's home page)."""

from flask import Blueprint, abort, render_template

from ..accounts.users import guest_of_event
from ..events import events
from ..models import utcnow
from . import cancellations, waitlist
from .waitlist_forms import AcceptForm, CancelForm

bp = Blueprint("waitlist", __name__, url_prefix="/e/<slug>")


@bp.get("/offer/<token>")
def offer(slug: str, token: str):
    """The offered place, with a button to accept it (or why it is no longer open)."""
    registration = _offered(slug, token)
    late = registration.status == "offered" and utcnow() >= registration.offer_expires_at
    return _offer_page(registration, "late" if late else registration.status)


@bp.post("/offer/<token>")
def accept(slug: str, token: str):
    """Accept the place: a guest now (twice is harmless), or politely too late."""
    registration = _offered(slug, token)
    if not AcceptForm().validate_on_submit():
        abort(400)
    outcome = waitlist.accept(registration, utcnow())
    page = _offer_page(registration, "guest" if outcome == "accepted" else outcome)
    return page, 200 if outcome == "accepted" else 409


@bp.route("/cant-come", methods=["GET", "POST"])
def cant_come(slug: str):
    """ "I can't come after all": what it means, a box to tick; the POST gives the place back."""
    me = guest_of_event(slug)
    form = CancelForm()
    if me.cancelled_at is None and form.validate_on_submit():
        cancellations.cancel(me, utcnow())
    if me.cancelled_at is not None:
        return render_template("registration/cancelled.html", me=me, event=me.event)
    page = render_template("registration/cant_come.html", me=me, event=me.event, form=form)
    return page, 422 if form.is_submitted() else 200


def _offered(slug: str, token: str):
    registration = waitlist.by_token(slug, token)
    if registration is None or registration.offered_at is None:
        abort(404)
    return registration


def _offer_page(registration, shown: str) -> str:
    event = registration.event
    return render_template(
        "registration/offer.html",
        registration=registration,
        event=event,
        shown=shown,
        until=events.when(registration.offer_expires_at, event),
        form=AcceptForm(formdata=None),
    )
