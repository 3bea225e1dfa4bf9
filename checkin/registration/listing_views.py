"""The organizer's registrations: the list by status (htmx swaps a page of it), the counts on
the event page, and the CSV export. Pages under /events/<slug>, scoped to the signed-in
organizer's event by organizer_event (another organizer's event is 404)."""

from flask import Blueprint, g, render_template, request

from ..events import exports
from ..events.organizer_event import organizer_event
from ..extensions import htmx
from ..models import Event
from . import listing

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
