"""Organizer pages: events, arrivals, the guest list, guests by hand, door passes, and the
attendance and networking CSVs (GET only, streamed, never cached: they carry personal data)."""

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.users import organizer_required
from ..associations import teams
from ..door import conflicts, passes
from ..extensions import htmx
from ..models import utcnow
from ..privacy import consents, erase
from ..privacy.forms import DeleteGuestForm
from . import events as event_domain
from . import exports, guests, tickets
from .forms import (
    DoorPassForm,
    EventForm,
    GuestForm,
    NewEventForm,
    ReissueForm,
    RelinkForm,
    guest_list_query,
)
from .guest_pages import guest_form_page
from .organizer_event import organizer_event

bp = organizer_event(Blueprint("events", __name__))


@bp.get("/")
@organizer_required
def home():
    """Send organizers to their events (and everyone else to sign in)."""
    return redirect(url_for("events.events"))


@bp.get("/events")
@organizer_required
def events():
    """The events of the organizer's associations, grouped by association."""
    teams_events = event_domain.events_by_association(current_user)
    return render_template("events/events.html", teams_events=teams_events)


@bp.route("/events/new", methods=["GET", "POST"])
@organizer_required
def new_event():
    """Create an event in one of the associations where the organizer runs events."""
    choices = teams.where_they_run_events(current_user)
    form = NewEventForm(timezone="America/New_York").offer(choices)
    if form.validate_on_submit():
        event = event_domain.create_event(
            current_user,
            form.name.data,
            form.venue.data,
            form.starts_at.data,
            form.ends_at.data,
            form.timezone.data,
            association=next(a for a in choices if a.id == form.association.data),
        )
        flash("Event created. Next: import the guest list, then make a door pass.")
        return redirect(url_for("events.event", slug=event.slug))
    return _event_form(form, None)


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
def edit_event():
    """Change an event's details."""
    event = g.event
    form = EventForm(obj=event)
    if not form.is_submitted():
        form.starts_at.data = event_domain.local_naive(event, event.starts_at)
        form.ends_at.data = event_domain.local_naive(event, event.ends_at)
    if form.validate_on_submit():
        event_domain.update_event(
            event,
            form.name.data,
            form.venue.data,
            form.starts_at.data,
            form.ends_at.data,
            form.timezone.data,
        )
        flash("Event saved.")
        return redirect(url_for("events.event", slug=event.slug))
    return _event_form(form, event)


@bp.get("/events/<slug>")
def event():
    """Arrivals, the guest list, the door's log and the door passes of one event."""
    return _event_page(g.event)


@bp.get("/events/<slug>/arrivals")
def arrivals():
    """The arrivals count and chart (polled by htmx), or the whole event page."""
    return _part_or_page("events/_arrivals.html", arrivals=guests.arrivals)


@bp.get("/events/<slug>/attempts")
def attempts():
    """The door's recent check-in attempts (polled by htmx), or the whole event page."""
    return _part_or_page("events/_attempts.html", attempts=guests.recent_attempts)


@bp.get("/events/<slug>/guests")
def guest_list():
    """One page of the guest list, filtered by name and status (htmx active search)."""
    event = g.event
    found = guests.guest_page(event, **guest_list_query(request.args))
    if htmx:
        return render_template("events/_guests.html", event=event, guests=found)
    return _event_page(event, found)


@bp.route("/events/<slug>/attendees/new", methods=["GET", "POST"])
def new_guest():
    """Add one guest by hand; they get a ticket at once."""
    event = g.event
    form = GuestForm()
    if form.validate_on_submit() and (person := _saved(form, guests.add, event)):
        flash(f"Added {person.name}. Send them their ticket email below.")
        return redirect(url_for("events.guest", slug=event.slug, attendee_id=person.id))
    return render_template("events/guest_form.html", event=event, form=form, person=None), _status(
        form
    )


@bp.route("/events/<slug>/attendees/<int:attendee_id>", methods=["GET", "POST"])
def guest(attendee_id: int):
    """One guest: their ticket link, a new ticket, and their details to edit."""
    event = g.event
    person = guests.guest_of(event, attendee_id)
    form = GuestForm(obj=person)
    if form.validate_on_submit() and _saved(form, guests.update, person):
        flash("Saved.")
        return redirect(url_for("events.guest", slug=event.slug, attendee_id=person.id))
    return guest_form_page(event, person, form, status=_status(form))


@bp.post("/events/<slug>/attendees/<int:attendee_id>/reissue")
def reissue_ticket(attendee_id: int):
    """Give a guest a new ticket code; the old one stops working."""
    event = g.event
    person = guests.guest_of(event, attendee_id)
    form = ReissueForm()
    if not form.validate_on_submit():
        return guest_form_page(event, person, reissue_form=form, status=422)
    guests.reissue(person)
    flash(f"New ticket issued. The old code no longer works: send {person.name} the new one.")
    return redirect(url_for("events.guest", slug=event.slug, attendee_id=person.id))


@bp.post("/events/<slug>/attendees/<int:attendee_id>/relink")
def replace_link(attendee_id: int):
    """Give a guest a new personal link; the old one and its sessions stop working."""
    event = g.event
    person = guests.guest_of(event, attendee_id)
    form = RelinkForm()
    if not form.validate_on_submit():
        return guest_form_page(event, person, relink_form=form, status=422)
    guests.replace_link(person)
    flash(
        f"New personal link made. The old one no longer signs in: email the ticket to send "
        f"{person.name} the new one."
    )
    return redirect(url_for("events.guest", slug=event.slug, attendee_id=person.id))


@bp.route("/events/<slug>/attendees/<int:attendee_id>/delete", methods=["GET", "POST"])
def delete_guest(attendee_id: int):
    """The organizer deletes one guest and their data, after a confirm."""
    event = g.event
    person = guests.guest_of(event, attendee_id)
    form = DeleteGuestForm()
    if form.validate_on_submit():
        done = erase.erase(person, "organizer")
        flash(f"{done.name if done else 'The guest'} and their data are deleted.")
        return redirect(url_for("events.event", slug=event.slug, _anchor="guests-list"), 303)
    page = render_template("events/delete_guest.html", event=event, person=person, form=form)
    return page, 422 if form.is_submitted() else 200


@bp.post("/events/<slug>/door-passes")
def create_door_pass():
    """Make a door pass and show its link and QR."""
    event = g.event
    form = DoorPassForm()
    if not form.validate_on_submit():
        return _event_page(event, pass_form=form, status=422)
    door_pass = passes.create(event, form.name.data, form.hours.data)
    return redirect(url_for("events.door_pass", slug=event.slug, pass_id=door_pass.id))


@bp.get("/events/<slug>/door-passes/<int:pass_id>")
def door_pass(pass_id: int):
    """A door pass's link as a QR for the volunteer to scan with their phone."""
    event = g.event
    found = passes.pass_of(event, pass_id)
    link = passes.link(found)
    return render_template(
        "events/door_pass.html",
        event=event,
        door_pass=found,
        link=link,
        qr=tickets.qr_svg(link, f"Door link for {found.name}"),
        now=utcnow(),
    )


@bp.post("/events/<slug>/door-passes/<int:pass_id>/revoke")
def revoke_door_pass(pass_id: int):
    """Stop a door pass working."""
    event = g.event
    found = passes.pass_of(event, pass_id)
    passes.revoke(found)
    flash(f"{found.name} is revoked: that link no longer opens the door.")
    return redirect(url_for("events.event", slug=event.slug, _anchor="door-passes"))


@bp.get("/events/<slug>/attendance.csv")
def attendance():
    """Every guest, when and at which door they checked in."""
    event = g.event
    csv = exports.attendance_csv(event)
    return exports.attachment(csv, "text/csv", exports.filename(event, "attendance"))


@bp.get("/events/<slug>/networking.csv")
def networking():
    """Cards recorded per guest and overall, without anyone's notes."""
    event = g.event
    csv = exports.networking_csv(event)
    return exports.attachment(csv, "text/csv", exports.filename(event, "networking"))


def _part_or_page(template: str, **loaders):
    """One polled part of the event page for htmx, else the whole page."""
    event = g.event
    if not htmx:
        return _event_page(event)
    return render_template(template, event=event, **{k: load(event) for k, load in loaders.items()})


def _event_page(event, found=None, pass_form=None, status=200):
    """The event page with everything on it; the guest list may come filtered."""
    return render_template(
        "events/event.html",
        event=event,
        arrivals=guests.arrivals(event),
        guests=found or guests.guest_page(event),
        attempts=guests.recent_attempts(event),
        conflicts=conflicts.conflicts_of(event),
        passes=passes.passes_of(event),
        last_used=passes.last_used(event),
        consent_counts=consents.counts(event),
        now=utcnow(),
        pass_form=pass_form or DoorPassForm(formdata=None),
        import_url=_import_url(event),
        public_qr=_public_qr(event),
    ), status


def _public_qr(event) -> str | None:
    """The QR code of the event's public page, while it takes registrations (or did)."""
    if event.registration == "off":
        return None
    url = f"{current_app.config['BASE_URL']}/e/{event.slug}"
    return tickets.qr_svg(url, label=f"QR code for {url}")


def _import_url(event) -> str | None:
    """Where the guest-list import lives, once that part of the app is installed."""
    if "imports.upload" not in current_app.view_functions:
        return None
    return url_for("imports.upload", slug=event.slug)


def _event_form(form, event):
    return render_template(
        "events/event_form.html",
        form=form,
        event=event,
        common_timezones=event_domain.common_timezones(),
    ), _status(form)


def _saved(form, save, target):
    """Save the form's profile; on a domain error, show it on its field and return None."""
    try:
        return save(target, form.profile())
    except guests.GuestError as error:
        form[error.field].errors = [*form[error.field].errors, str(error)]
        return None


def _status(form) -> int:
    return 422 if form.is_submitted() else 200
