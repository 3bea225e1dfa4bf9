"""Whether an event takes registrations right now: what the public page and its form ask.

The organizer opens, pauses and closes registration by hand (Event.registration); a deadline,
when set, closes it by itself once passed, whatever the switch says, and so does the event's
end (people may still sign up while a long event runs). "off" means the event has no public
registration at all (guests come by import).
"""

from datetime import datetime

from ..models import Event, utcnow

STATES = ("off", "open", "paused", "closed")


def state(event: Event, now: datetime | None = None) -> str:
    """ "open", "paused", "closed" or "off": may someone register for the event at `now`?"""
    now = now or utcnow()
    if event.registration not in STATES or event.registration == "off":
        return "off"
    if event.registration == "closed" or now >= event.ends_at:
        return "closed"
    if event.registration_deadline is not None and now >= event.registration_deadline:
        return "closed"
    return event.registration


def is_open(event: Event, now: datetime | None = None) -> bool:
    """True when the form takes new registrations at `now`."""
    return state(event, now) == "open"
