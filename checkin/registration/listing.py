"""Registrations as the organizer sees them: a page at a time by status, the counts on the
event page, and the CSV export.

One list holds every registration and every guest who cancelled without one (an imported guest
who said "I can't come after all" from their personal link). A registration that became a guest
who then cancelled reads as cancelled, whatever its own status says. The waitlist is shown in
its order (confirmed_at, then id), each with their position.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, and_, case, func, literal, null, select, union_all

from ..events import csv_safe, exports
from ..extensions import db
from ..models import Event, Guest, Registration, UTCDateTime
from . import places

PAGE_SIZE = 50
FILTERS = {
    "all": "Everyone",
    "unconfirmed": "Not confirmed yet",
    "approval": "Awaiting approval",
    "waitlisted": "Waitlisted",
    "offered": "Offered a place",
    "guest": "Guests",
    "cancelled": "Cancelled",
}
LABELS = FILTERS | {"all": "", "declined": "Declined", "lapsed": "Offer lapsed"}
CSV_HEADER = (
    *("Name", "Email", "Status", "Waitlist position", "Registered at", "Confirmed at"),
    *("Offer expires at", "Cancelled at", "Class year", "Other answers"),
)


@dataclass(frozen=True)
class Row:
    """One line of the list: a registration, or a guest who cancelled without one."""

    registration_id: int | None
    name: str
    email: str
    status: str
    created_at: datetime | None
    confirmed_at: datetime | None
    offer_expires_at: datetime | None
    cancelled_at: datetime | None
    position: int | None = None  # on the waitlist, 1 first

    @property
    def label(self) -> str:
        """The status as the organizer reads it."""
        return LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class RegistrationPage:
    """One page of the list, filtered by status."""

    rows: list[Row]
    total: int
    page: int
    pages: int
    status: str = "all"

    @property
    def label(self) -> str:
        """The filter as the organizer chose it: "Waitlisted"."""
        return FILTERS[self.status]

    @property
    def filters(self) -> dict:
        """The query arguments that ask for this filter again (the default left out)."""
        return {"status": self.status if self.status != "all" else None}


def registration_page(event: Event, status: str = "all", page: int = 1) -> RegistrationPage:
    """A page of the event's registrations (of one status); never the whole list."""
    status = status if status in FILTERS else "all"
    everyone = _everyone(event)
    chosen = (
        select(everyone) if status == "all" else select(everyone).where(everyone.c.status == status)
    )
    total = db.session.scalar(select(func.count()).select_from(chosen.subquery()))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    order = (everyone.c.confirmed_at, everyone.c.rid) if status == "waitlisted" else ()
    found = db.session.execute(
        chosen.order_by(*order, func.lower(everyone.c.name), everyone.c.rid)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    positions = waitlist_positions(event)
    rows = [Row(*values[:8], position=positions.get(values[0])) for values in found]
    return RegistrationPage(rows, total, page, pages, status)


def counts(event: Event) -> dict[str, int | None]:
    """For the event page: registered, confirmed, each status, cancelled, and places left."""
    everyone = _everyone(event)
    by_status = dict(
        db.session.execute(
            select(everyone.c.status, func.count()).group_by(everyone.c.status)
        ).all()
    )
    registered, confirmed = db.session.execute(
        select(func.count(), func.count(Registration.confirmed_at)).where(
            Registration.event_id == event.id
        )
    ).one()
    found = {name: by_status.get(name, 0) for name in FILTERS if name != "all"}
    return found | {"registered": registered, "confirmed": confirmed, "left": places.left(event)}


def waitlist_positions(event: Event) -> dict[int, int]:
    """Each waitlisted registration's place in the queue (1 first), by registration id."""
    order = func.row_number().over(order_by=(Registration.confirmed_at, Registration.id))
    found = db.session.execute(
        select(Registration.id, order).where(
            Registration.event_id == event.id, Registration.status == "waitlisted"
        )
    )
    return {registration_id: position for registration_id, position in found}


def registrations_csv(event: Event) -> Iterator[str]:
    """Everyone on the list, by name, with their status and when things happened (local)."""
    everyone = _everyone(event)
    positions = waitlist_positions(event)
    query = select(everyone).order_by(func.lower(everyone.c.name), everyone.c.rid)
    body = (
        (row.name, row.email, LABELS.get(row.status, row.status), positions.get(row.rid))
        + tuple(exports.local_text(event, moment) for moment in row[4:8])
        + _answers(row.answers, row.class_year)
        for row in exports.stream(query)
    )
    return csv_safe.rows(CSV_HEADER, body)


def _answers(answers: dict | None, guest_year: int | None) -> tuple:
    """The class year (the registration's answer, else the guest's), and the other answers as
    "question: answer; ..."."""
    answers = dict(answers or {})
    year = answers.pop("class_year", None) or guest_year
    others = "; ".join(
        f"{key}: {value}" for key, value in answers.items() if value not in ("", None)
    )
    return year, others


def _everyone(event: Event):
    """The event's registrations and the guests who cancelled without one, as one subquery:
    rid, name, email, status, created_at, confirmed_at, offer_expires_at, cancelled_at, answers
    (the registration's) and class_year (the guest's)."""
    cancelled_guest = and_(Registration.status == "guest", Guest.cancelled_at.is_not(None))
    registrations = (
        select(
            Registration.id.label("rid"),
            Registration.name,
            Registration.email,
            case((cancelled_guest, "cancelled"), else_=Registration.status).label("status"),
            Registration.created_at,
            Registration.confirmed_at,
            Registration.offer_expires_at,
            case(
                (Registration.status == "cancelled", Registration.decided_at),
                else_=Guest.cancelled_at,
            ).label("cancelled_at"),
            Registration.answers,
            Guest.class_year,
        )
        .outerjoin(Guest, Guest.id == Registration.attendee_id)
        .where(Registration.event_id == event.id)
    )
    registered = select(Registration.attendee_id).where(
        Registration.event_id == event.id, Registration.attendee_id.is_not(None)
    )
    cancelled_guests = select(
        null().label("rid"),
        Guest.name,
        Guest.email,
        literal("cancelled").label("status"),
        Guest.created_at,
        literal(None, UTCDateTime()).label("confirmed_at"),
        literal(None, UTCDateTime()).label("offer_expires_at"),
        Guest.cancelled_at,
        literal(None, JSON()).label("answers"),
        Guest.class_year,
    ).where(
        Guest.event_id == event.id, Guest.cancelled_at.is_not(None), Guest.id.not_in(registered)
    )
    return union_all(registrations, cancelled_guests).subquery("everyone")
