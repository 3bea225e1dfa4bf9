"""The organizer's preview of one attendee's digest: what it would say, or why it would not go."""

from dataclasses import dataclass

from ..mail import messages, subscriptions
from ..mail.digest_sending import NOTHING_TO_SAY
from ..mail.outbox import is_suppressed
from ..models import Attendee, Event
from . import content


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
    skip = content.skip_reason(
        attendee, is_suppressed(attendee.email), subscriptions.is_unsubscribed(attendee)
    )
    built = content.Builder(event).build(attendee)
    if built is None:
        return Preview(attendee, "", "", "", skip or NOTHING_TO_SAY)
    text, html = messages.render_digest(content.without_notes(built))
    return Preview(attendee, built.subject, text, html, skip)
