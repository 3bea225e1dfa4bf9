"""A remembered guest's pages: confirm the profile remembered for them, and "People I've met"
across the association's events (with CSV and vCard downloads; GET only, never cached)."""

from flask import Blueprint, flash, redirect, render_template, url_for

from ..accounts.users import guest_of_event
from ..events import csv_safe, exports
from ..room.forms import ProfileForm
from . import memory, met_before, people

bp = Blueprint("members", __name__, url_prefix="/e/<slug>")


@bp.route("/remembered", methods=["GET", "POST"])
def remembered(slug: str):
    """ "We remember you": the member's profile, prefilled, to confirm or edit; never applied
    silently. The event's own choices start as they are here, asked again."""
    me = guest_of_event(slug)
    member = memory.offer(me)
    if member is None:
        return redirect(url_for("room.profile", slug=slug), 303)
    form = ProfileForm(data=memory.prefill(me, member))
    if form.validate_on_submit():
        saved = memory.confirm(me, form.values())
        kept = " and this association remembers you" if saved.consent_remember else ""
        flash(f"Your profile is saved{kept}.")
        return redirect(url_for("room.home", slug=slug), 303)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "members/remembered.html", me=me, event=me.event, form=form, member=member
    ), status


@bp.get("/people-ive-met")
def met(slug: str):
    """Everyone I met at this association's events, while we both chose to be remembered."""
    me = guest_of_event(slug)
    found = met_before.connections(me)
    return render_template("members/met.html", me=me, event=me.event, connections=found)


@bp.get("/people-ive-met.csv")
def met_csv(slug: str):
    """ "People I've met" as CSV: my notes, contact details only where both shared them."""
    me = guest_of_event(slug)
    body = list(csv_safe.rows(people.HEADER, people.rows(me)))  # read while the request lasts
    return exports.attachment(body, "text/csv", exports.filename(me.event, "people-ive-met"))


@bp.get("/people-ive-met.vcf")
def met_vcf(slug: str):
    """Contact cards of the people I met who share their details with me."""
    me = guest_of_event(slug)
    name = exports.filename(me.event, "people-ive-met", "vcf")
    return exports.attachment(people.vcf(me), "text/vcard", name)
