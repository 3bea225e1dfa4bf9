"""The emails the app sends, one function each, from a .txt/.html template pair in templates/email/.

The QR code travels as an inline PNG part of a multipart/related HTML body, referenced by
cid: — Gmail and Apple Mail show that, while they block data: URIs and remote images.
"""

import io
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

import qrcode
from flask import current_app, render_template

from . import events, mail, tickets
from .models import Attendee


def ticket(attendee: Attendee, code: str, login_url: str) -> EmailMessage:
    """The ticket email: the QR code the door scans, and the attendee's personal link."""
    event = attendee.event
    ticket_url = tickets.ticket_url(code)
    qr_cid = make_msgid(domain="checkin.qr")
    context = {
        "attendee": attendee,
        "event": event,
        "when": events.when(event.starts_at, event),
        "ticket_url": ticket_url,
        "code": code,
        "login_url": login_url,
        "again_url": f"{current_app.config['BASE_URL']}/e/{event.slug}/link-again",
        "qr_cid": qr_cid[1:-1],  # without the angle brackets, as cid: URLs want it
    }
    message = mail.new_message(recipient(attendee), f"Your ticket for {event.name}")
    message.set_content(render_template("email/ticket.txt", **context))
    message.add_alternative(render_template("email/ticket.html", **context), subtype="html")
    html = message.get_payload()[1]
    html.add_related(
        qr_png(ticket_url),
        maintype="image",
        subtype="png",
        cid=qr_cid,
        filename="ticket-qr.png",
        disposition="inline",
    )
    return message


def recipient(attendee: Attendee) -> Address:
    """The attendee as an address header (raises ValueError for an unusable address)."""
    user, at, domain = (attendee.email or "").strip().rpartition("@")
    if not (user and at and domain) or any(c.isspace() or c in '<>,;"' for c in attendee.email):
        raise ValueError(f"{attendee.email!r} is not an email address")
    return Address(display_name=attendee.name or "", username=user, domain=domain)


def qr_png(data: str) -> bytes:
    """A PNG QR code of data, 8 pixels a module: crisp in mail clients at 240 px."""
    image = qrcode.make(
        data, box_size=8, border=4, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
