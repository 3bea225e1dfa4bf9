"""Organizer pages: events, arrivals, door passes."""

from zoneinfo import available_timezones

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import door, door_passes, tickets
from .. import events as event_domain
from ..forms import DoorPassForm, EventForm

bp = Blueprint("organizer", __name__)
COMMON_TIMEZONES = sorted(zone for zone in available_timezones() if "/" in zone
                          and not zone.startswith(("Etc/", "SystemV/", "US/")))


@bp.get("/")
def home():
    """Send organizers to their events and everyone else to sign in."""
    return redirect(url_for("organizer.events"))


@bp.get("/events")
@login_required
def events():
    """The organizer's events."""
    return render_template("organizer/events.html", events=event_domain.events_of(current_user))


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new_event():
    """Create an event."""
    form = EventForm(timezone="America/New_York")
    if form.validate_on_submit():
        event = event_domain.create_event(current_user, form.name.data, form.venue.data or "",
                                    form.starts_at.data, form.ends_at.data, form.timezone.data)
        return redirect(url_for("organizer.event", slug=event.slug))
    return render_template("organizer/event_form.html", form=form, event=None,
                           common_timezones=COMMON_TIMEZONES), _status(form)


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_event(slug: str):
    """Change an event's details."""
    event = event_domain.event_of(current_user, slug)
    form = EventForm(obj=event)
    if not form.is_submitted():
        form.starts_at.data = event_domain.local(event, event.starts_at).replace(tzinfo=None)
        form.ends_at.data = event_domain.local(event, event.ends_at).replace(tzinfo=None)
    if form.validate_on_submit():
        event_domain.update_event(event, form.name.data, form.venue.data or "", form.starts_at.data,
                            form.ends_at.data, form.timezone.data)
        return redirect(url_for("organizer.event", slug=event.slug))
    return render_template("organizer/event_form.html", form=form, event=event,
                           common_timezones=COMMON_TIMEZONES), _status(form)


@bp.get("/events/<slug>")
@login_required
def event(slug: str):
    """Arrivals, the guest list and the door passes of one event."""
    event = event_domain.event_of(current_user, slug)
    return render_template(
        "organizer/event.html",
        event=event,
        stats=door.stats(event.id),
        passes=door_passes.passes_of(event),
        pass_form=DoorPassForm(),
    )


@bp.post("/events/<slug>/door-passes")
@login_required
def create_door_pass(slug: str):
    """Make a door pass and show its link and QR."""
    event = event_domain.event_of(current_user, slug)
    form = DoorPassForm()
    if not form.validate_on_submit():
        return render_template("organizer/event.html", event=event, stats=door.stats(event.id),
                               passes=door_passes.passes_of(event), pass_form=form), 422
    door_pass = door_passes.create(event, form.name.data, form.hours.data)
    return redirect(url_for("organizer.door_pass", slug=slug, pass_id=door_pass.id))


@bp.get("/events/<slug>/door-passes/<int:pass_id>")
@login_required
def door_pass(slug: str, pass_id: int):
    """A door pass's link as a QR for the volunteer to scan with their phone."""
    event = event_domain.event_of(current_user, slug)
    found = door_passes.pass_of(event, pass_id) or abort(404)
    link = door_passes.link(found)
    return render_template("organizer/door_pass.html", event=event, door_pass=found, link=link,
                           qr=tickets.qr_svg(link, f"Door link for {found.name}"))


@bp.post("/events/<slug>/door-passes/<int:pass_id>/revoke")
@login_required
def revoke_door_pass(slug: str, pass_id: int):
    """Stop a door pass working."""
    event = event_domain.event_of(current_user, slug)
    door_passes.revoke(door_passes.pass_of(event, pass_id) or abort(404))
    return redirect(url_for("organizer.event", slug=slug))


def _status(form) -> int:
    return 422 if form.is_submitted() else 200
