"""The organizer's registrations: the list by status (htmx swaps a page of it), the counts on
the event page, the CSV export, and cancelling a guest who phoned to say they can't come.
Pages under /events/<slug>, scoped to the signed-in organizer's event by organizer_event
(another organizer's event is 404; a viewer's POST is 403)."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from ..events import exports, guests
from ..events.forms import OrganizerCancelForm
from ..events.guest_pages import guest_form_page
from ..events.organizer_event import organizer_event
from ..extensions import htmx
from ..models import Event, utcnow
from . import cancellations, listing

bp = organizer_event(Blueprint("registration_list", __name__))


@bp.app_template_global()
def registration_counts(event: Event) -> dict:
    """For the event page's registrations card."""
    return listing.counts(event)


@bp.get("/events/<slug>/registrations")
def registrations():
    """One page of the registrations, filtered by status: the fragment for htmx, else the page."""
    event = g.event
    found = listing.registration_page(
        event, request.args.get("status", "all"), request.args.get("page", 1, type=int)
    )
    if htmx:
        return render_template("registration/_list.html", event=event, found=found)
    return render_template(
        "registration/list.html", event=event, found=found, filters=listing.FILTERS
    )


@bp.get("/events/<slug>/registrations.csv")
def registrations_csv():
    """Everyone who registered (and every guest who cancelled), with status and times."""
    event = g.event
    body = listing.registrations_csv(event)
    return exports.attachment(body, "text/csv", exports.filename(event, "registrations"))


@bp.post("/events/<slug>/attendees/<int:attendee_id>/cancel")
def cancel_guest(attendee_id: int):
    """The organizer gives a guest's place back for them, as their "I can't come" does: the
    ticket stops working and the waitlist's next person is offered the place."""
    event = g.event
    person = guests.guest_of(event, attendee_id)
    form = OrganizerCancelForm()
    if person.checked_in_at is not None:
        flash(f"{person.name} has checked in already: their place stays theirs.")
        return guest_form_page(event, person, status=409)
    if person.cancelled_at is None and not form.validate_on_submit():
        return guest_form_page(event, person, cancel_form=form, status=422)
    if cancellations.cancel(person, utcnow()):
        flash(
            f"{person.name}'s place is given back and their ticket no longer works. "
            "If anyone is on the waitlist, the first is offered the place by email."
        )
    return redirect(url_for("events.guest", slug=event.slug, attendee_id=person.id), 303)
