"""The organizer's registration settings, saved in one place; raising (or removing) the
capacity offers the places it frees to the waitlist at once."""

from datetime import datetime
from zoneinfo import ZoneInfo

from ..database import writing
from ..events import events
from ..models import Event, utcnow
from . import places, waitlist
from .settings_forms import SWITCHES


def form_values(event: Event) -> dict:
    """The event's settings as the form shows them (the deadline on the venue's clock)."""
    values = {
        "capacity": event.capacity,
        "registration_deadline": event.registration_deadline
        and events.local_naive(event, event.registration_deadline),
        "approval_required": event.approval_required,
        "offer_hours": event.offer_hours,
        "description": event.description,
    }
    asked = event.registration_questions or {}
    return values | {f"ask_{name}": asked.get(name, "") for name in places.PROFILE}


def save(event: Event, values: dict, questions: dict, now: datetime | None = None) -> list[int]:
    """Store the settings (deadline: local time, or None); returns the offers it made."""
    deadline = values["registration_deadline"]
    with writing():
        places.lock(event)
        event.capacity = values["capacity"]
        event.registration_deadline = deadline and deadline.replace(tzinfo=ZoneInfo(event.timezone))
        event.approval_required = bool(values["approval_required"])
        event.offer_hours = values["offer_hours"]
        event.description = (values["description"] or "").strip()
        event.registration_questions = {k: v for k, v in questions.items() if k in places.PROFILE}
        offered = waitlist.offer_next(event, now or utcnow())
    waitlist.send_offers(offered)
    return offered


def switch(event: Event, to: str) -> None:
    """Open, pause or close registration (the same press twice changes nothing more)."""
    if to not in SWITCHES:
        raise ValueError(f"Registration cannot be {to!r}")
    with writing():
        event.registration = to
