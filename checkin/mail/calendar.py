"""The .ics calendar invitation attached to every ticket email (RFC 5545, the icalendar package).

The event's start and end are written in its own time zone (TZID) with a VTIMEZONE built from the
zone database, so Google Calendar, Apple Calendar and Outlook show the venue's wall-clock time
with its daylight-saving rules. METHOD:PUBLISH: a calendar entry to add, not a meeting request
asking for a reply. The UID is the same for one guest at one event every time, so a ticket sent
again updates the entry instead of adding a second. No secret goes in: calendars get shared, so
the URL is the public event page (when registration is on), never the ticket or personal link.
"""

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from ..events import events
from ..models import Event, Guest, utcnow
from . import transport

CONTENT_TYPE = ("text", "calendar")


def invitation(event: Event, guest: Guest, now: datetime | None = None) -> bytes:
    """The guest's .ics file for the event: one VEVENT in the event's zone, with its VTIMEZONE."""
    calendar = Calendar()
    calendar.add("prodid", "-//checkin//alumni events//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(_entry(event, guest, now or utcnow()))
    # The zone's rules around the event only: a few lines rather than 1970 to 2038 of them.
    start = events.local(event, event.starts_at).date()
    calendar.add_missing_timezones(start - timedelta(days=366), start + timedelta(days=366))
    return calendar.to_ical()


def file_name(event: Event) -> str:
    """The attachment's name: the event's slug, .ics."""
    return f"{event.slug}.ics"


def _entry(event: Event, guest: Guest, now: datetime) -> CalendarEvent:
    entry = CalendarEvent()
    entry.add("uid", uid(event, guest))
    entry.add("dtstamp", now)
    entry.add("dtstart", events.local(event, event.starts_at))
    entry.add("dtend", events.local(event, event.ends_at))
    entry.add("summary", event.name)
    if event.venue:
        entry.add("location", event.venue)
    if event.registration != "off":
        entry.add("url", public_url(event))
    entry.add("description", f"Your ticket's QR code is in the email from {event.name}.")
    return entry


def uid(event: Event, guest: Guest) -> str:
    """The entry's UID: the same for this guest at this event every time, unguessable."""
    key = current_app.config["SECRET_KEY"].encode()
    seed = f"checkin.calendar:{event.id}:{guest.id}".encode()
    return f"{hmac.new(key, seed, hashlib.sha256).hexdigest()[:32]}@{transport.mail_domain()}"


def public_url(event: Event) -> str:
    """The event's public page (registration), under BASE_URL."""
    return f"{current_app.config['BASE_URL']}/e/{event.slug}"
