"""The room list a phone keeps for recording cards offline: who a scanned QR is, without a server.

It holds only what the signed-in guest may already see online: the other checked-in guests of
their own event who chose to be findable (the same people the "Find by name" list shows), each with
the badge's name and year and the SHA-256 of their live ticket code. The phone hashes the code it
scans and looks the hash up, so no one's code is ever sent or stored in plain text; a hash cannot be
turned back into a code (codes carry 160 random bits) and the server looks codes up by this same
hash, so it admits no one and opens nothing. People who are not findable are left out: offline,
their QR cannot be named, and the phone says to scan it again once back online.
"""

from sqlalchemy import select

from ..extensions import db
from ..models import Card, Guest, Ticket


def offline_list(me: Guest) -> list[dict]:
    """Findable, checked-in others at my event with their code hash, and whether I met them."""
    mine = select(Card.subject_id).where(Card.author_id == me.id, Card.subject_id.is_not(None))
    rows = db.session.execute(
        select(
            Guest.id,
            Guest.name,
            Guest.class_year,
            Ticket.code_hash,
            Guest.id.in_(mine).label("met"),
        )
        .join(Ticket, (Ticket.attendee_id == Guest.id) & Ticket.revoked_at.is_(None))
        .where(
            Guest.event_id == me.event_id,
            Guest.consent_findable.is_(True),
            Guest.checked_in_at.is_not(None),
            Guest.id != me.id,
        )
        .order_by(Guest.id)
    )
    return [
        {
            "id": row.id,
            "name": row.name,
            "class_year": row.class_year,
            "code_hash": row.code_hash,
            "met": bool(row.met),
        }
        for row in rows
    ]
