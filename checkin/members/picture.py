"""The association's picture for its team: per event, counts only, never a name.

Attendance (first-time against returning: a returning guest is a remembered member who was on
the list of an earlier event of the association), cards recorded, the share of cards that
became mutual, introductions sent (Outbox "match:" rows sent), and mentoring matches (cards
tagged "mentoring"). A purged event shows what its EventTally kept: attendance, cards and
mutual pairs; the rest is unknown (None). Charts are drawn here as bar geometry for SVG.
"""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Association, Card, Event, Guest, Outbox
from ..privacy import tallies

CHARTS = {  # chart -> (title, the columns behind it)
    "attendance": ("Attendance: first-time and returning", ("first_time", "returning")),
    "connections": ("Connections made (cards)", ("cards", "mutual_cards")),
    "introductions": ("Introductions and mentoring", ("introductions", "mentoring")),
}
LABELS = {
    "came": "Came",
    "first_time": "First time",
    "returning": "Returning",
    "cards": "Cards",
    "mutual_cards": "Cards that became mutual",
    "introductions": "Introductions sent",
    "mentoring": "Mentoring matches",
}


@dataclass
class Row:
    """One event's counts (None: not known, the event's guest data was deleted)."""

    name: str
    date: str
    came: int
    first_time: int | None
    returning: int | None
    cards: int
    mutual_cards: int
    introductions: int | None
    mentoring: int | None

    @property
    def mutual_share(self) -> str:
        """The share of cards that became mutual, in percent ("—" with no cards)."""
        return f"{round(100 * self.mutual_cards / self.cards)}%" if self.cards else "\u2014"


def rows(association: Association) -> list[Row]:
    """Every event of the association, oldest first, with its counts."""
    events = db.session.scalars(
        select(Event).where(Event.association_id == association.id).order_by(Event.starts_at)
    ).all()
    return [_row(event, events[:index]) for index, event in enumerate(events)]


def _row(event: Event, earlier: list[Event]) -> Row:
    date = event.starts_at.date().isoformat()
    if event.purged_at is not None:
        tally = tallies.tally_of(event)
        came, cards, mutual = (tally.came, tally.cards, tally.mutual) if tally else (0, 0, 0)
        return Row(event.name, date, came, None, None, cards, 2 * mutual, None, None)
    counts = tallies.count(event)
    returning = _returning(event, [e.id for e in earlier])
    return Row(
        event.name,
        date,
        counts["came"],
        counts["came"] - returning,
        returning,
        counts["cards"],
        2 * counts["mutual"],
        _introductions(event),
        _mentoring(event),
    )


def _returning(event: Event, earlier_ids: list[int]) -> int:
    """Guests who came and are members seen on an earlier event's list."""
    if not earlier_ids:
        return 0
    before = aliased(Guest)
    seen = select(before.member_id).where(
        before.event_id.in_(earlier_ids), before.member_id.is_not(None)
    )
    query = select(func.count(Guest.id)).where(
        Guest.event_id == event.id,
        Guest.checked_in_at.is_not(None),
        Guest.member_id.in_(seen),
    )
    return db.session.scalar(query) or 0


def _introductions(event: Event) -> int:
    query = select(func.count(Outbox.id)).where(
        Outbox.event_id == event.id, Outbox.kind.startswith("match:"), Outbox.status == "sent"
    )
    return db.session.scalar(query) or 0


def _mentoring(event: Event) -> int:
    tags = db.session.scalars(select(Card.tags).where(Card.event_id == event.id))
    return sum(1 for found in tags if "mentoring" in (found or []))


def csv_rows(found: list[Row], chart: str) -> tuple[tuple, list[tuple]]:
    """The numbers behind one chart: the header, and a row per event."""
    columns = CHARTS[chart][1]
    header = ("Event", "Date", *(LABELS[c] for c in columns))
    return header, [(r.name, r.date, *(_cell(getattr(r, c)) for c in columns)) for r in found]


def _cell(value):
    return "" if value is None else value


@dataclass
class Bar:
    """One bar of a chart: where it is drawn, and what it says."""

    x: float
    y: float
    width: float
    height: float
    series: int
    label: str
    text: str  # the number, written after the bar


WIDTH, ROW, LEFT, GAP = 320, 22, 4, 6  # drawn in a 320-wide box: fits a phone


def chart(found: list[Row], name: str) -> dict:
    """Horizontal grouped bars, one group per event, one bar per column of the chart."""
    columns = CHARTS[name][1]
    top = max([getattr(r, c) or 0 for r in found for c in columns] + [1])
    bars, names, y = [], [], 0.0
    for row in found:
        y += GAP + 16  # room for the event's name above its bars
        names.append({"y": y - 5, "text": f"{row.name} ({row.date})"})
        for series, column in enumerate(columns):
            value = getattr(row, column)
            text = "?" if value is None else str(value)
            width = round((WIDTH - 2 * LEFT - 40) * (value or 0) / top, 1)
            label = f"{row.name}, {LABELS[column]}: {text}"
            bars.append(Bar(LEFT, y, width, ROW - 4, series, label, text))
            y += ROW
    legend = [LABELS[c] for c in columns]
    return {"bars": bars, "height": y + GAP, "width": WIDTH, "names": names, "legend": legend}
