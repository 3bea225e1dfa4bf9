"""The day-before reminder on the organizer's event page: a line of counts, and on or off."""

from flask import Blueprint, abort, flash, g, redirect, url_for

from ..events.organizer_event import organizer_event
from ..forms import ButtonForm
from ..models import Event
from . import reminders

bp = organizer_event(Blueprint("reminders", __name__))


@bp.app_template_global()
def reminder_summary(event: Event) -> dict:
    """For the mail card: on or off, when (UTC), and the rows' counts by status."""
    return {
        "enabled": event.reminder_enabled,
        "at": reminders.reminder_time(event),
        "counts": reminders.counts(event),
    }


@bp.app_template_global()
def reminder_form() -> ButtonForm:
    """The on/off button's form (its CSRF token)."""
    return ButtonForm(formdata=None)


@bp.post("/events/<slug>/reminder/<state>")
def switch(state: str):
    """Turn the event's day-before reminder on or off (pressing twice changes nothing more)."""
    event = g.event
    if state not in ("on", "off"):
        abort(404)
    if ButtonForm().validate_on_submit():
        reminders.set_enabled(event, state == "on")
        flash(f"The day-before reminder is {state}.")
    return redirect(url_for("events.event", slug=event.slug, _anchor="tickets"))
