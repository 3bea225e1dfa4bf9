"""The organizer's side of an event's retention: how long its guests' data is kept, and
"Delete now" with a confirm step. Another organizer's event is not found (organizer_event)."""

from flask import Blueprint, flash, g, redirect, render_template, url_for

from ..events.forms import PurgeForm, RetentionForm
from ..events.organizer_event import organizer_event
from ..models import utcnow
from . import purge as purging
from . import retention

bp = organizer_event(Blueprint("privacy_organizer", __name__, url_prefix="/events/<slug>"))


@bp.route("/retention", methods=["GET", "POST"])
def settings():
    """Choose how many days after the event its guests' data is kept."""
    event = g.event
    form = RetentionForm(days=event.retention_days)
    if form.validate_on_submit():
        retention.set_days(event, form.days.data)
        flash(f"Saved. Personal data will be deleted on {retention.deletion_day(event)}.")
        return redirect(url_for("events.event", slug=event.slug, _anchor="personal-data"))
    return _page("privacy/retention.html", form)


@bp.get("/purge")
def confirm_purge():
    """What "Delete now" deletes and keeps, and the name to type to confirm it."""
    return _page("privacy/purge.html", PurgeForm(formdata=None))


@bp.post("/purge")
def purge():
    """Delete the event's personal data now, once its name was typed."""
    event = g.event
    form = PurgeForm(event_name=event.name)
    if not form.validate_on_submit():
        return _page("privacy/purge.html", form)
    purging.purge(event, utcnow())
    flash("The guests' personal data is deleted. The counts below are what the event keeps.")
    return redirect(url_for("events.event", slug=event.slug))


def _page(template: str, form):
    status = 422 if form.is_submitted() else 200
    return render_template(template, event=g.event, form=form), status
