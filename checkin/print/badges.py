"""Badge sheets: what each guest's badge says, rendered to PDF on the chosen stock.

    pdf = badges.render_badges(guests, event, layout="letter-6", progress=None)

Each badge carries the first name large, the full name, the class year ('09), an
affiliation line (the employer, when the guest list gave one) and the guest's ticket QR
code: exactly the text of the ticket page's QR (BASE_URL/t/<code>), so the door scans it.
A guest without a working ticket gets a badge without a QR code.
"""

import threading
from collections.abc import Callable, Iterable

from sqlalchemy import select

from ..events import tickets
from ..extensions import db
from ..models import Event, Guest, Ticket, fold
from . import pdf as badge_pdf
from . import pool
from .layouts import DEFAULT_LAYOUT, LAYOUTS, Layout
from .pdf import Badge

__all__ = [
    "DEFAULT_LAYOUT",
    "LAYOUTS",
    "Badge",
    "NoBadges",
    "UnknownLayout",
    "guest_list",
    "layout_of",
    "render_badges",
]

Progress = Callable[[int, int], None]
# Up to this many badges render in the calling process (a label for a walk-in: a fraction of
# a second); more go to worker processes, whose start (about 0.4 s) then pays for itself.
IN_PROCESS_LIMIT = 60
_rendering = threading.Lock()


class UnknownLayout(ValueError):
    """A layout name that is not one of LAYOUTS."""

    def __init__(self, name: str) -> None:
        known = ", ".join(LAYOUTS)
        super().__init__(f"No badge layout called {name!r}; choose one of: {known}.")


class NoBadges(ValueError):
    """An empty selection: there is no sheet to make."""


def layout_of(name: str) -> Layout:
    """The layout of that name, or UnknownLayout."""
    if name not in LAYOUTS:
        raise UnknownLayout(name)
    return LAYOUTS[name]


def render_badges(
    guests: Iterable[Guest],
    event: Event,
    layout: str = DEFAULT_LAYOUT,
    progress: Progress | None = None,
) -> bytes:
    """A PDF of the guests' badges, in the order given, on sheets of the layout.

    guests may be Guest rows or a query's result rows that start with one. Raises
    UnknownLayout, NoBadges for nobody, and ValueError for someone of another event.
    """
    sheet = layout_of(layout)
    people = [_guest(item) for item in guests]
    if not people:
        raise NoBadges("Nobody to make badges for.")
    if strangers := [person.name for person in people if person.event_id != event.id]:
        raise ValueError(f"Not on the guest list of {event.name}: {', '.join(strangers[:3])}")
    badges = badges_of(people, event)
    title = f"Badges: {event.name}"
    if len(badges) > IN_PROCESS_LIMIT:
        return pool.render(badges, sheet, title, progress)
    with _rendering:  # WeasyPrint's font setup is shared: one render at a time per process
        pdf = badge_pdf.render(badges, layout, title)
    if progress:
        progress(len(badges), len(badges))
    return pdf


def _guest(item) -> Guest:
    """An Guest, from itself or a result row holding it first."""
    return item if isinstance(item, Guest) else item[0]


def guest_list(event: Event) -> list[Guest]:
    """Everyone on the event's guest list, by surname, as badges are laid out at the door."""
    people = db.session.scalars(select(Guest).where(Guest.event_id == event.id))
    return sorted(people, key=_surname_order)


def _surname_order(person: Guest) -> tuple[str, str, int]:
    """Sort "Ada Lovelace" under L."""
    folded = fold(person.name)
    return (folded.rsplit(" ", 1)[-1], folded, person.id)


def badges_of(guests: list[Guest], event: Event) -> list[Badge]:
    """What each guest's badge says, with their working ticket's URL."""
    urls = ticket_urls([person.id for person in guests])
    return [
        Badge(
            event=event.name,
            first=person.first_name,
            name=person.name,
            year=person.short_year,
            affiliation=person.employer or "",
            url=urls.get(person.id, ""),
        )
        for person in guests
    ]


def ticket_urls(guest_ids: list[int]) -> dict[int, str]:
    """The URL in each guest's working ticket QR, by guest id."""
    urls: dict[int, str] = {}
    for start in range(0, len(guest_ids), 500):  # bounded IN lists
        working = select(Ticket).where(
            Ticket.attendee_id.in_(guest_ids[start : start + 500]), Ticket.revoked_at.is_(None)
        )
        for ticket in db.session.scalars(working):
            urls[ticket.attendee_id] = tickets.ticket_url(tickets.code_of(ticket))
    return urls
