"""The organizer's registration page: open, pause or close; the settings; approvals.

Under /events/<slug>/registration, so organizer_event checks the organizer and loads their event
(another organizer's event is not found).
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from ..events import events
from ..events.organizer_event import organizer_event
from . import approvals, organizer_settings
from .settings_forms import SWITCHES, DecisionForm, SettingsForm, SwitchForm

APPROVED = {
    "guest": "approved. Their ticket is on its way.",
    "waitlisted": "approved, and on the waitlist: the event is full.",
}
APPROVED = APPROVED | dict.fromkeys(("offered", "declined", "lapsed", "cancelled"), "no change.")

bp = organizer_event(Blueprint("registration_settings", __name__, url_prefix="/events/<slug>"))


@bp.route("/registration", methods=["GET", "POST"])
def page():
    """The registration settings, the switch and who waits for approval."""
    event = g.event
    ends = events.local_naive(event, event.ends_at)
    form = SettingsForm(
        data=organizer_settings.form_values(event), timezone=event.timezone, ends=ends
    )
    if form.validate_on_submit():
        organizer_settings.save(event, form.data, form.questions())
        flash("Registration settings saved.")
        return redirect(url_for("registration_settings.page", slug=event.slug))
    return _page(form), 422 if form.is_submitted() else 200


@bp.post("/registration/switch")
def switch():
    """Open, pause or close registration."""
    event = g.event
    form = SwitchForm()
    if not form.validate_on_submit():
        abort(400)
    organizer_settings.switch(event, form.to.data)
    flash(f"Registration is {form.to.data} now.")
    return redirect(url_for("registration_settings.page", slug=event.slug))


@bp.post("/registration/<int:registration_id>/decide")
def decide(registration_id: int):
    """Approve or decline one registration waiting for approval (twice changes nothing)."""
    event = g.event
    registration = approvals.registration_of(event, registration_id)
    form = DecisionForm()
    if registration is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    if form.decision.data == "approve":
        flash(f"{registration.name}: {APPROVED[approvals.approve(registration)]}")
    else:
        approvals.decline(registration)
        flash(f"{registration.name}: declined; they are told by email.")
    return redirect(url_for("registration_settings.page", slug=event.slug, _anchor="approvals"))


def _page(form: SettingsForm) -> str:
    event = g.event
    return render_template(
        "registration/settings.html",
        event=event,
        form=form,
        switches=SWITCHES,
        switch_form=SwitchForm(formdata=None),
        decision_form=DecisionForm(formdata=None),
        waiting=approvals.waiting(event),
    )
