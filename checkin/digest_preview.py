"""The organizer's preview of one attendee's digest: what it would say, or why it would not go."""

from dataclasses import dataclass

from . import digest, emails, subscriptions
from .digest_sending import NOTHING_TO_SAY
from .models import Attendee, Event
from .outbox import is_suppressed


@dataclass(frozen=True)
class Preview:
    """One attendee's digest as it would be built now (reads everything fresh)."""

    attendee: Attendee
    subject: str
    text: str
    html: str
    skip: str  # "" when it would be sent; else why not, in a sentence for the organizer


def preview(event: Event, attendee: Attendee) -> Preview:
    """Build the attendee's digest now (their private notes left out), and say whether it would
    be sent and why not."""
    skip = digest.skip_reason(
        attendee, is_suppressed(attendee.email), subscriptions.is_unsubscribed(attendee)
    )
    built = digest.Builder(event).build(attendee)
    if built is None:
        return Preview(attendee, "", "", "", skip or NOTHING_TO_SAY)
    text, html = emails.render_digest(digest.without_notes(built))
    return Preview(attendee, built.subject, text, html, skip)
