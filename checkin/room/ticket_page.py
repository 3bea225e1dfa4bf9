"""The page a ticket's QR opens (/t/<code>): the ticket for its holder, a card for a fellow guest.

The same QR gets people in at the door and lets other guests record meeting its holder, so the
page depends on who opens it with their phone's camera app:
- a signed-in guest of the same event, someone else's code: "Add <name> to people you met";
- its own holder signed in, or an owner or organizer of the event's association: the ticket,
  QR large (a viewer reads lists, and a QR admits);
- anyone else: only the name and a sign-in prompt (a badge's QR is in plain sight, so the page
  adds nothing to it). Holders reach their QR through the ticket email or their personal link.
The code grants nothing else: only the personal link signs in.
"""

import uuid

from flask import Blueprint, abort, redirect, render_template, url_for

from ..accounts.users import signed_in_guest, signed_in_organizer
from ..associations import teams
from ..events import tickets
from . import cards
from .forms import CardForm, card_form_context

bp = Blueprint("ticket_page", __name__)


@bp.get("/t/<code>")
def show(code: str):
    """The ticket, or for a fellow guest signed in here, the card form to record meeting them."""
    found = tickets.find(code)
    if found is None:
        abort(404, "No ticket has this code. Check the link in the organizer's email.")
    ticket, parsed = found
    holder = ticket.guest
    me = signed_in_guest(ticket.event_id)
    if me is not None and me.id != holder.id and ticket.revoked_at is None:
        if done := cards.recorded(me.id, holder.id):
            return redirect(url_for("room.card", slug=holder.event.slug, card_id=done.id), 303)
        form = CardForm(nonce=str(uuid.uuid4()))
        context = card_form_context(me, holder, form, "link", code=parsed)
        return render_template("room/met.html", **context)
    return render_template(
        "room/ticket.html",
        ticket=ticket,
        guest=holder,
        event=holder.event,
        mine=me is not None and me.id == holder.id,
        qr=_qr_for_holder(ticket, parsed, me),
    )


def _qr_for_holder(ticket, code: str, me) -> str | None:
    """The QR, only for its holder (signed in) or those who run the event's association."""
    organizer = signed_in_organizer()
    holder = ticket.guest
    if (me is not None and me.id == holder.id) or (
        organizer is not None
        and teams.can_change(teams.role_in(organizer, holder.event.association_id))
    ):
        return tickets.qr_svg(tickets.ticket_url(code), f"Ticket QR code for {holder.name}")
    return None
