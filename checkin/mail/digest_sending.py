"""What a digest or introduction row says when its turn comes, or why it does not go.

The outbox (checkin/mail/outbox.py) claims a row before its message is built, so each is built right
then, from what the database says at that moment (consent, unsubscribes, suppressed addresses,
the cards), and sent over the run's one connection.
"""

from ..digest import content
from ..models import Event, Guest
from . import messages, subscriptions
from .outbox import DIGEST, MATCH, addressee

NOTHING_TO_SAY = "Nothing to say: no one met, waiting to connect or to meet."


class DigestMail:
    """compose() for the outbox's Sender: one event's digests (from one digest Builder, made by
    the caller when digests are due) and introductions."""

    def __init__(self, event: Event, builder=None) -> None:
        self.event_id = event.id
        self.builder = builder

    def __call__(self, reader: Guest | None, kind: str, suppressed: bool):
        """(message, "") to send, or (None, why not) to skip."""
        if reader is None or reader.event_id != self.event_id:
            return None, "The guest is no longer on the guest list."
        unsubscribed = subscriptions.is_unsubscribed(reader)  # here, or at another event
        if kind == DIGEST:
            if skip := content.skip_reason(reader, suppressed, unsubscribed):
                return None, skip
            built = self.builder.build(reader)
            if built is None:
                return None, NOTHING_TO_SAY
            return messages.digest(built), ""
        if skip := introduction_skip_reason(reader, suppressed, unsubscribed):
            return None, skip
        other, _ = addressee(int(kind.removeprefix(MATCH)))
        if other is None or other.event_id != self.event_id:
            return None, "The other person is no longer on the guest list."
        return messages.introduction(reader, other), ""


def introduction_skip_reason(reader: Guest, suppressed: bool, unsubscribed: bool) -> str:
    """Why an introduction may not go to the reader ("" when it may)."""
    return content.mail_problem(reader, suppressed, unsubscribed)
