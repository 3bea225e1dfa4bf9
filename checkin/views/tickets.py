"""The page a ticket's QR opens (/t/<code>): the ticket for its holder, a card for a fellow guest.

The same QR gets people in at the door and lets other guests record meeting its holder, so the
page depends on who opens it with their phone's camera app:
- a signed-in attendee of the same event, someone else's code: "Add <name> to people you met";
- its own holder, signed in: their ticket;
- anyone else (the ticket email links here too): the name, the ticket QR and a sign-in prompt.
The code grants nothing else: only the personal link signs in.
"""

import uuid

from flask import Blueprint, abort, redirect, render_template, url_for

from .. import cards, tickets
from ..accounts import signed_in_attendee
from ..room_forms import CardForm
from .attendee import card_form_context

bp = Blueprint("tickets", __name__)


@bp.get("/t/<code>")
def show(code: str):
    """The ticket, or for a fellow guest signed in here, the card form to record meeting them."""
    found = tickets.find(code)
    if found is None:
        abort(404, "No ticket has this code. Check the link in the organizer's email.")
    ticket, parsed = found
    holder = ticket.attendee
    me = signed_in_attendee(ticket.event_id)
    if me is not None and me.id != holder.id and ticket.revoked_at is None:
        if done := cards.recorded(me.id, holder.id):
            return redirect(url_for("attendee.card", slug=holder.event.slug, card_id=done.id), 303)
        form = CardForm(nonce=str(uuid.uuid4()))
        context = card_form_context(me, holder, form, "link", code=parsed)
        return render_template("attendee/met.html", **context)
    return render_template(
        "tickets/show.html",
        ticket=ticket,
        attendee=holder,
        event=holder.event,
        mine=me is not None and me.id == holder.id,
        qr=tickets.qr_svg(tickets.ticket_url(parsed), f"Ticket QR code for {holder.name}"),
    )
