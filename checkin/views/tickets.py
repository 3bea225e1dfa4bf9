"""An attendee's ticket page: the QR code the door scans."""

from flask import Blueprint, abort, render_template

from .. import tickets

bp = Blueprint("tickets", __name__)


@bp.get("/t/<code>")
def show(code: str):
    """Show the ticket's QR large enough to scan from the phone screen; nothing else personal."""
    found = tickets.find(code)
    if found is None:
        abort(404, "No ticket has this code. Check the link in the organizer's email.")
    ticket, parsed = found
    return render_template(
        "tickets/show.html",
        ticket=ticket,
        attendee=ticket.attendee,
        event=ticket.attendee.event,
        qr=tickets.qr_svg(tickets.ticket_url(parsed), f"Ticket QR code for {ticket.attendee.name}"),
    )
