"""The organizer's digest settings: when it goes out, and the footer's postal address and Reply-To.

The organizer types a wall-clock time in the event's own zone; it is stored in UTC
(Event.digest_at), and None means the default (schedule.default_time). A time the zone
skips when its clocks go forward is refused; a time it repeats when they go back is read as
the first of the two.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email

from ..database import writing
from ..events import events
from ..models import Event, utcnow
from . import schedule


class SettingError(ValueError):
    """A setting that cannot be saved as given; names the form field at fault."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class DigestTime:
    """When the digest goes out, as the organizer reads it."""

    moment: datetime  # UTC
    local: datetime  # in the event's zone
    is_default: bool
    queued_at: datetime | None  # the outbox was filled then: the time no longer matters

    @property
    def text(self) -> str:
        """ "Friday 27 November, 9:00 (America/New_York)"."""
        return f"{self.local.strftime('%A %-d %B, %-H:%M')} ({self.local.tzinfo.key})"


def digest_time(event: Event) -> DigestTime:
    """The event's digest time, local, and whether it is the default."""
    moment = schedule.digest_time(event)
    return DigestTime(
        moment,
        schedule.local(moment, event),
        event.digest_at is None,
        event.digest_queued_at,
    )


def set_time(event: Event, day: date, clock: time, now: datetime | None = None) -> DigestTime:
    """Send the digest at this local date and time in the event's zone."""
    _not_queued(event)
    wall = datetime.combine(day, clock.replace(second=0, microsecond=0))
    if events.missing_local_time(wall, event.timezone):
        raise SettingError(
            "time",
            f"{wall:%-H:%M} does not exist on {wall:%-d %B} in {event.timezone}: the clocks "
            "skip that hour. Choose a time outside it.",
        )
    moment = wall.replace(tzinfo=ZoneInfo(event.timezone)).astimezone(UTC)
    if moment <= event.ends_at:
        ended = events.when(event.ends_at, event)
        raise SettingError("day", f"Choose a time after the event ends ({ended}).")
    if moment <= (now or utcnow()):
        raise SettingError("day", "That time has passed: use Send now to send at once.")
    with writing():
        event.digest_at = moment
    return digest_time(event)


def reset_time(event: Event) -> DigestTime:
    """Back to the default: 9:00 the morning after the event, in its zone."""
    _not_queued(event)
    with writing():
        event.digest_at = None
    return digest_time(event)


def set_mail_details(event: Event, postal_address: str, reply_to: str) -> Event:
    """The postal address line of the digest's footer and its Reply-To (either may be empty)."""
    postal_address = " ".join((postal_address or "").split())
    if len(postal_address) > 300:
        raise SettingError("postal_address", "Keep the address under 300 characters.")
    reply_to = (reply_to or "").strip()
    if reply_to:
        try:
            reply_to = validate_email(reply_to, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise SettingError("reply_to", f"That is not an email address: {error}") from error
    with writing():
        event.postal_address, event.reply_to = postal_address, reply_to
    return event


def _not_queued(event: Event) -> None:
    if event.digest_queued_at is not None:
        raise SettingError(
            "day",
            "The digests are already queued, so the time can no longer change.",
        )
