"""The organizer's preview of one guest's digest: what it would say, or why it would not go."""

from dataclasses import dataclass

from ..mail import messages, subscriptions
from ..mail.digest_sending import NOTHING_TO_SAY
from ..mail.outbox import is_suppressed
from ..models import Event, Guest
from . import content


@dataclass(frozen=True)
class Preview:
    """One guest's digest as it would be built now (reads everything fresh)."""

    guest: Guest
    subject: str
    text: str
    html: str
    skip: str  # "" when it would be sent; else why not, in a sentence for the organizer


def preview(event: Event, guest: Guest) -> Preview:
    """Build the guest's digest now (their private notes left out), and say whether it would
    be sent and why not."""
    skip = content.skip_reason(
        guest, is_suppressed(guest.email), subscriptions.is_unsubscribed(guest)
    )
    built = content.Builder(event).build(guest)
    if built is None:
        return Preview(guest, "", "", "", skip or NOTHING_TO_SAY)
    text, html = messages.render_digest(content.without_notes(built))
    return Preview(guest, built.subject, text, html, skip)
