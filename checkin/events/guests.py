"""Guests as the organizer sees them: add or edit one by hand, reissue a ticket, the guest
list page by page, arrivals over time and the door's log of recent attempts."""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..accounts import personal_links
from ..database import writing
from ..extensions import db
from ..models import CheckInAttempt, Event, Guest, PersonalLink, Ticket, fold
from ..privacy import consents
from . import events, tickets

PROFILE = (
    "name",
    "email",
    "class_year",
    "major",
    "residence_hall",
    "clubs",
    "industry",
    "interests",
    "willing_to_mentor",
    "consent_profile",
)
LISTS = ("clubs", "interests")  # kept "; "-separated, as the imports keep them
PAGE_SIZE = 50
STATUSES = ("all", "in", "out", "cancelled")  # "out": coming, not in yet


class GuestError(ValueError):
    """A profile that cannot be saved as given; names the form field at fault."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


def guest_of(event: Event, attendee_id: int) -> Guest:
    """One of this event's guests, or 404 (another event's guest is not found either)."""
    person = db.session.scalar(
        select(Guest).where(Guest.id == attendee_id, Guest.event_id == event.id)
    )
    if person is None:
        abort(404)
    return person


def add(event: Event, profile: dict) -> Guest:
    """Put someone on the guest list by hand and give them a ticket."""
    profile = _clean(profile)
    with writing():
        _check_email(event.id, profile["email"])
        person = Guest(
            event_id=event.id,
            source="manual",
            **profile,
            consent_findable=profile.get("consent_profile") is True,
        )
        db.session.add(person)
        db.session.flush()
        consents.record_first(person, "organizer")
        tickets.issue(person)
    return person


def update(person: Guest, profile: dict) -> Guest:
    """Change a guest's details; their ticket and check-in stay as they are."""
    profile = _clean(profile)
    with writing():
        _check_email(person.event_id, profile["email"], person.id)
        answer = profile.pop("consent_profile")
        for name, value in profile.items():
            setattr(person, name, value)
        consents.record(person, {"profile": answer}, "organizer")
    return person


def reissue(person: Guest) -> Ticket:
    """Give the guest a new ticket code; the old one stops working at once."""
    with writing():
        ticket = tickets.issue(person)
    return ticket


def replace_link(person: Guest) -> PersonalLink:
    """A new personal link; the old one, and every session opened with it, stop working."""
    return personal_links.issue(person)


def ticket_link(person: Guest) -> str | None:
    """The guest's ticket page, to send them; None if they have no working ticket."""
    ticket = tickets.current_ticket(person.id)
    return tickets.ticket_url(tickets.code_of(ticket)) if ticket else None


def _clean(profile: dict) -> dict:
    """Only the profile fields, trimmed, with list fields in the stored "a; b" form."""
    clean = {name: profile.get(name) for name in PROFILE}
    for name, value in clean.items():
        if isinstance(value, str):
            clean[name] = value.strip()
    for name in LISTS:
        clean[name] = "; ".join(p.strip() for p in (clean[name] or "").split(";") if p.strip())
    clean["email"] = (clean["email"] or "").lower()
    return clean


def _check_email(event_id: int, email: str, except_id: int | None = None) -> None:
    """One guest per email address on a guest list (an empty email is fine)."""
    if not email:
        return
    query = select(Guest.name).where(Guest.event_id == event_id, func.lower(Guest.email) == email)
    if except_id is not None:
        query = query.where(Guest.id != except_id)
    if (other := db.session.scalar(query.limit(1))) is not None:
        raise GuestError("email", f"{other} already uses this email on the guest list.")


@dataclass
class GuestPage:
    """One page of the guest list, filtered by name and status (in, not yet, cancelled)."""

    guests: list[Guest]
    links: dict[int, str]  # guest id -> ticket page
    total: int
    page: int
    pages: int
    query: str = ""
    status: str = "all"

    @property
    def first(self) -> int:
        """The position of the first guest shown (1-based; 0 when none are)."""
        return (self.page - 1) * PAGE_SIZE + 1 if self.guests else 0

    @property
    def last(self) -> int:
        """The position of the last guest shown."""
        return (self.page - 1) * PAGE_SIZE + len(self.guests)

    @property
    def filters(self) -> dict:
        """The query arguments that ask for this search and filter again (defaults left out)."""
        return {"q": self.query or None, "status": self.status if self.status != "all" else None}


def guest_page(event: Event, query: str = "", status: str = "all", page: int = 1) -> GuestPage:
    """A page of guests by name, with who checked them in and when; never the whole list."""
    status = status if status in STATUSES else "all"
    conditions = [Guest.event_id == event.id]
    if needle := fold(query)[:100]:
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(Guest.search_key.like(pattern, escape="\\"))
    if status != "all":
        conditions.append(_with_status(status))
    total = db.session.scalar(select(func.count()).select_from(Guest).where(*conditions))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    guests = list(
        db.session.scalars(
            select(Guest)
            .options(joinedload(Guest.checked_in_by))
            .where(*conditions)
            .order_by(Guest.search_key, Guest.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return GuestPage(guests, _links([g.id for g in guests]), total, page, pages, query, status)


def _with_status(status: str):
    """The guest list's filter: checked in, coming but not in yet, or cancelled."""
    if status == "in":
        return Guest.checked_in_at.is_not(None)
    if status == "out":
        return Guest.checked_in_at.is_(None) & Guest.cancelled_at.is_(None)
    return Guest.cancelled_at.is_not(None)


def coming():
    """Guests who have not given their place back: the ones expected at the door."""
    return Guest.cancelled_at.is_(None)


def _links(guest_ids: list[int]) -> dict[int, str]:
    """Ticket page links for these guests' working tickets."""
    found = db.session.scalars(
        select(Ticket).where(Ticket.attendee_id.in_(guest_ids), Ticket.revoked_at.is_(None))
    )
    return {t.attendee_id: tickets.ticket_url(tickets.code_of(t)) for t in found}


def recent_attempts(event: Event, limit: int = 50) -> list[CheckInAttempt]:
    """The door's latest attempts at this event, newest first, with pass and guest."""
    return list(
        db.session.scalars(
            select(CheckInAttempt)
            .options(joinedload(CheckInAttempt.door_pass), joinedload(CheckInAttempt.guest))
            .where(CheckInAttempt.event_id == event.id)
            .order_by(CheckInAttempt.id.desc())
            .limit(limit)
        )
    )


BUCKET_MINUTES = (10, 15, 30, 60, 120, 180, 360, 720, 1440)
MAX_BARS = 48
TICK_MINUTES = (10, 15, 30, 60, 120, 180, 240, 360, 720)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Arrivals:
    """Check-ins counted per time bucket across the event, in the event's time zone."""

    expected: int
    admitted: int
    start: datetime  # the first bucket's start (aware, UTC)
    minutes: int  # the bucket's length
    counts: list[int] = field(default_factory=list)

    def starts(self) -> list[datetime]:
        """Each bucket's start."""
        return [self.start + timedelta(minutes=self.minutes * i) for i in range(len(self.counts))]

    def busiest(self) -> tuple[datetime, int] | None:
        """The first bucket with the most arrivals, or None before anyone arrives."""
        if not any(self.counts):
            return None
        index = self.counts.index(max(self.counts))
        return self.starts()[index], self.counts[index]

    def chart(self, event: Event) -> dict:
        """Geometry for the SVG bar chart (bars, time labels, y-axis top) in viewBox units."""
        width, height, left, right, top_gap, bottom = 400, 180, 30, 6, 12, 26
        plot_w, plot_h, n = width - left - right, height - top_gap - bottom, len(self.counts)
        top, slot, base = _nice(max(self.counts)), plot_w / n, top_gap + plot_h
        fmt = "%-d %b" if self.minutes >= 1440 else "%H:%M"
        labels = [events.local(event, s).strftime(fmt) for s in self.starts()]
        bars = [
            {
                "x": round(left + i * slot + slot * 0.12, 1),
                "width": round(slot * 0.76, 1),
                "y": round(base - count / top * plot_h, 1),
                "height": round(count / top * plot_h, 1),
                "label": labels[i],
                "count": count,
            }
            for i, count in enumerate(self.counts)
            if count
        ]
        ticks = [
            {"x": round(left + i * slot, 1), "label": labels[i]} for i in self._tick_buckets(event)
        ]
        return {
            "width": width,
            "height": height,
            "left": left,
            "right": width - right,
            "top_y": top_gap,
            "base": base,
            "top": top,
            "bars": bars,
            "ticks": ticks,
        }

    def _tick_buckets(self, event: Event) -> list[int]:
        """Buckets to label: at most six, on round times of the wall clock (18:00, 19:00, 20:00)."""
        n = len(self.counts)
        step = next(
            (t for t in TICK_MINUTES if t % self.minutes == 0 and n * self.minutes / t <= 6), None
        )
        if step is None:  # buckets of days: every so many days
            return list(range(0, n, math.ceil(n / 5)))
        wall = [events.local(event, s) for s in self.starts()]
        return [i for i, w in enumerate(wall) if (w.hour * 60 + w.minute) % step == 0]


def arrivals(event: Event) -> Arrivals:
    """Arrivals per bucket from the event's start to its end (widened to fit early or late ones)."""
    moments = sorted(
        db.session.scalars(
            select(Guest.checked_in_at).where(
                Guest.event_id == event.id, Guest.checked_in_at.is_not(None)
            )
        )
    )
    expected = db.session.scalar(
        select(func.count()).select_from(Guest).where(Guest.event_id == event.id, coming())
    )
    first = min([event.starts_at, *moments[:1]])
    last = max([event.ends_at, *moments[-1:]])
    minutes = _bucket_minutes(last - first)
    start = _align(event, first, minutes)
    size = timedelta(minutes=minutes)
    counts = [0] * max(1, math.ceil((last - start) / size))
    for moment in moments:
        counts[min(len(counts) - 1, int((moment - start) / size))] += 1
    return Arrivals(expected, len(moments), start, minutes, counts)


def _nice(peak: int) -> int:
    """A round number at or above the peak for the chart's y-axis: 1, 2, 5, 10, 20, 50..."""
    top = 1
    while top < peak:
        top = top * 5 // 2 if str(top).startswith("2") else top * 2
    return top


def _bucket_minutes(span: timedelta) -> int:
    """The shortest readable bucket that keeps the chart to MAX_BARS bars."""
    minutes = span.total_seconds() / 60
    for size in BUCKET_MINUTES:
        if minutes / size <= MAX_BARS:
            return size
    return 1440 * math.ceil(minutes / MAX_BARS / 1440)


def _align(event: Event, moment: datetime, minutes: int) -> datetime:
    """Round down to a whole bucket on the event's wall clock (18:10, not 18:07)."""
    offset = events.local(event, moment).utcoffset()
    wall = int((moment + offset - EPOCH).total_seconds() // 60)
    return EPOCH + timedelta(minutes=wall - wall % minutes) - offset
