"""Ticket codes and door-pass tokens: made from a random salt and the secret key, stored hashed."""

import base64
import hashlib
import hmac
import io
import re
import secrets
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from flask import current_app
from markupsafe import escape
from sqlalchemy import insert, select, update

from ..extensions import db
from ..models import Guest, Ticket, utcnow

CODE_BYTES = 20  # 160 bits: unguessable
CODE_RE = re.compile(r"^[A-Z2-7]{32}$")
MAX_SCAN_LENGTH = 512


def derive(purpose: str, salt: str) -> str:
    """The secret a salt stands for: HMAC of the salt under SECRET_KEY, in base32."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{purpose}:{salt}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:CODE_BYTES]).decode().rstrip("=")


def digest(secret: str) -> str:
    """The lookup hash of a code or token (they carry 160 random bits, so SHA-256 suffices)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_salt() -> str:
    """A fresh random salt; the database keeps it, the code needs the server's key too."""
    return secrets.token_hex(16)


def issue(guest: Guest) -> Ticket:
    """Give a guest a new ticket, revoking any earlier one (caller commits)."""
    db.session.execute(
        update(Ticket)
        .where(Ticket.attendee_id == guest.id, Ticket.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    salt = new_salt()
    ticket = Ticket(
        attendee_id=guest.id,
        event_id=guest.event_id,
        salt=salt,
        code_hash=digest(derive("ticket", salt)),
    )
    db.session.add(ticket)
    return ticket


def current_ticket(attendee_id: int) -> Ticket | None:
    """The guest's ticket that still works."""
    return db.session.scalar(
        select(Ticket).where(Ticket.attendee_id == attendee_id, Ticket.revoked_at.is_(None))
    )


def find(scanned: str) -> tuple[Ticket, str] | None:
    """The ticket (revoked or not) a scanned text or code names, with its code."""
    code = parse_scan(scanned)
    ticket = code and db.session.scalar(select(Ticket).where(Ticket.code_hash == digest(code)))
    return (ticket, code) if ticket else None


def codes_of_event(event_id: int) -> dict[int, str]:
    """Each guest's working ticket code at an event, by guest id."""
    working = select(Ticket).where(Ticket.event_id == event_id, Ticket.revoked_at.is_(None))
    return {ticket.attendee_id: code_of(ticket) for ticket in db.session.scalars(working)}


def code_of(ticket: Ticket) -> str:
    """The code printed in a ticket's QR."""
    return derive("ticket", ticket.salt)


def ticket_url(code: str) -> str:
    """The URL a ticket's QR carries, so a phone's own camera app opens the ticket."""
    return f"{current_app.config['BASE_URL']}/t/{code}"


def parse_scan(text: str) -> str | None:
    """The ticket code inside scanned text (a ticket URL or a bare code), or None."""
    if not isinstance(text, str) or len(text) > MAX_SCAN_LENGTH:
        return None
    text = text.strip()
    if "/" in text:
        path = urlsplit(text).path if "://" in text else text
        text = path.rstrip("/").rsplit("/", 1)[-1]
    code = text.upper()
    return code if CODE_RE.match(code) else None


def qr_svg(data: str, label: str = "QR code") -> str:
    """An SVG QR code for data, sized by its viewBox so CSS can scale it."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    svg = re.sub(r"<\?xml[^>]*>\s*", "", svg)
    svg = re.sub(r'(width|height)="[^"]*mm"\s*', "", svg, count=2)
    return svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{escape(label)}" ', 1)


def issue_first(event_id: int, guest_ids: list[int]) -> None:
    """Give just-added guests (no ticket yet) tickets in one bulk insert (caller commits)."""
    rows = []
    for attendee_id in guest_ids:
        salt = new_salt()
        rows.append(
            {
                "attendee_id": attendee_id,
                "event_id": event_id,
                "salt": salt,
                "code_hash": digest(derive("ticket", salt)),
            }
        )
    if rows:
        db.session.execute(insert(Ticket.__table__), rows)
