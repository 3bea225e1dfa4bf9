"""The public event page, the registration form (with inline checks), and the emailed link that
confirms a registration (GET shows a button, POST confirms)."""

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from .. import tasks
from ..events import events
from ..forms import ButtonForm
from ..models import Event
from ..rate_limits import Rule, limited
from . import places, signup
from .forms import form_for
from .status import state as registration_state

bp = Blueprint("registration", __name__)


def _email() -> str:
    """One address registering, however it is capitalized and spaced."""
    return "register-email:" + request.form.get("email", "").strip().lower()[:254]


TOO_MANY = "Too many registrations from here in a short time."
# A campus or a venue's wifi puts hundreds of people behind one address (the poster at the door
# sends a room at once), so the budget per IP is generous; what stops one inbox being flooded
# with confirmation emails is the small budget per email address.
PER_IP = Rule("30 per minute;300 per hour", "register-ip", TOO_MANY)
PER_EMAIL = Rule("5 per hour;10 per day", "register-email", TOO_MANY, _email)


@bp.get("/e/<slug>")
def event_page(slug: str):
    """The public page: when, where, places left, and the form while registration is open."""
    event = _public(slug)
    return _page(event, form_for(event))


@bp.post("/e/<slug>/register")
@limited(PER_IP, PER_EMAIL)
def register(slug: str):
    """Save the registration (unconfirmed) and email the confirmation link; 422 if not valid."""
    event = _public(slug)
    form = form_for(event)
    if form.website.data:  # the honeypot: answered like a registration, nothing kept or sent
        return redirect(url_for(".registered", slug=slug), 303)
    if registration_state(event) != "open":
        return _page(event, form, 409)
    if not form.validate_on_submit():
        return _page(event, form, 422)
    details = signup.Details(form.name.data, form.email.data, form.answers(), form.consents())
    sign = signup.sign_up(event, details)
    tasks.send_registration_mail(sign.outcome, sign.registration_id, sign.guest_id)
    return redirect(url_for(".registered", slug=slug), 303)


@bp.post("/e/<slug>/register/check/<name>")
def check(slug: str, name: str):
    """One field checked as it is left (htmx): the field again, with its errors if any."""
    event = _public(slug)
    form = form_for(event)
    if name not in (*form.questions, "name", "email"):
        abort(404)
    form.validate()
    return render_template("registration/_field.html", form=form, f=form[name], event=event)


@bp.get("/e/<slug>/registered")
def registered(slug: str):
    """ "Check your email": the same words whatever the address had at the event."""
    return render_template("registration/registered.html", event=_public(slug))


@bp.get("/e/<slug>/confirm/<token>")
def confirm_page(slug: str, token: str):
    """The emailed link: a button to confirm (a GET changes nothing), or where they stand."""
    event = _public(slug)
    registration = signup.find(event, token)
    if registration is None or signup.expired(registration):
        return _unknown(event)
    if registration.status != "unconfirmed":
        place = signup.position(registration)
        return _private(_result(event, registration.status, place))
    page = render_template(
        "registration/confirm.html", event=event, registration=registration, form=ButtonForm()
    )
    return _private(page)


@bp.post("/e/<slug>/confirm/<token>")
def confirm(slug: str, token: str):
    """Confirm the registration: a place (and the ticket by email), the waitlist, or approval."""
    event = _public(slug)
    if not ButtonForm().validate_on_submit():
        abort(400)
    done = signup.confirm(event, token)
    if done is None:
        return _unknown(event)
    if done.queued:
        tasks.send_tickets(event.id, done.queued)
    elif done.first_time and done.status == "waitlisted":
        tasks.send_waitlisted(done.registration.id)  # "you're number N", to keep
    return _private(_result(event, done.status, done.position))


def _public(slug: str) -> Event:
    """The event, if it takes registrations (or did); 404 otherwise."""
    event = events.by_slug(slug)
    if event is None or event.registration == "off":
        abort(404)
    return event


def _page(event: Event, form, status: int = 200):
    context = {
        "event": event,
        "form": form,
        "state": registration_state(event),
        "left": places.left(event),
        "when": events.when(event.starts_at, event),
        "ends": events.clock(event.ends_at, event),
    }
    return render_template("registration/event.html", **context), status


def _result(event: Event, status: str, position: int | None) -> str:
    return render_template(
        "registration/confirmed.html", event=event, status=status, position=position
    )


def _unknown(event: Event):
    return _private(render_template("registration/unknown.html", event=event), 404)


def _private(page: str, status: int = 200):
    """Pages reached by a secret link are never cached or indexed."""
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
