"""Badge sheet layouts: paper, badge size, where each badge sits, and room for each line.

Lengths are in points (1/72 in). The sheet positions follow the stock's own template:
Avery 5392 (and its 5390/74459 siblings) are 4 x 3 in inserts, 2 across and 3 down on US
Letter, with 0.25 in side margins, 1 in top and bottom margins and no gaps between inserts.
A6 four to an A4 sheet is 2 x 2 with no gaps (105 x 148 mm each, the 1 mm A4 leaves over
split above and below). The label layout is one 4 x 3 in page per badge, as label printers
(Dymo, Brother, Zebra) take them.
"""

from dataclasses import dataclass, field

INCH = 72.0
MM = 72.0 / 25.4


@dataclass(frozen=True)
class Line:
    """Room for one text field on a badge: width, largest and smallest size, most lines."""

    width: float
    largest: int
    smallest: int
    lines: int = 1


@dataclass(frozen=True)
class Layout:
    """One way to put badges on paper."""

    name: str
    label: str
    page_width: float
    page_height: float
    columns: int
    rows: int
    badge_width: float
    badge_height: float
    left: float  # page edge to the first column
    top: float  # page edge to the first row
    padding: float  # inside each badge: keeps text off the cut and the printer's dead edge
    shape: str  # "wide" (QR beside the details) or "tall" (QR under them)
    qr_size: float
    lines: dict[str, Line] = field(default_factory=dict)
    cut_guides: bool = False  # plain paper to cut: faint lines where to cut

    @property
    def per_page(self) -> int:
        """Badges on one sheet."""
        return self.columns * self.rows

    def slots(self) -> list[tuple[float, float]]:
        """The top-left corner of each badge on a sheet, row by row."""
        return [
            (self.left + c * self.badge_width, self.top + r * self.badge_height)
            for r in range(self.rows)
            for c in range(self.columns)
        ]

    def pages_for(self, badges: int) -> int:
        """Sheets needed for this many badges."""
        return -(-badges // self.per_page)


def _wide_lines(content_width: float, qr_size: float) -> dict[str, Line]:
    """Lines of a 4 x 3 in badge: the first name across, the rest beside the QR code."""
    beside = content_width - qr_size - 0.14 * INCH
    return {
        "event": Line(content_width, 9, 6),
        "first": Line(content_width, 46, 16, 2),
        "name": Line(beside, 14, 8, 2),
        "year": Line(beside, 16, 10),
        "affiliation": Line(beside, 11, 7, 2),
    }


def _tall_lines(content_width: float) -> dict[str, Line]:
    """Lines of an A6 badge: everything stacked above the QR code."""
    return {
        "event": Line(content_width, 11, 7),
        "first": Line(content_width, 54, 16, 2),
        "name": Line(content_width, 18, 10, 2),
        "year": Line(content_width, 20, 12),
        "affiliation": Line(content_width, 14, 8, 2),
    }


_WIDE_PADDING = 0.2 * INCH
_WIDE_QR = 1.2 * INCH
_TALL_PADDING = 8 * MM
_TALL_QR = 46 * MM

LAYOUTS: dict[str, Layout] = {
    "letter-6": Layout(
        name="letter-6",
        label="4″ × 3″ badges, six to a US Letter sheet (Avery 5392-style inserts)",
        page_width=8.5 * INCH,
        page_height=11 * INCH,
        columns=2,
        rows=3,
        badge_width=4 * INCH,
        badge_height=3 * INCH,
        left=0.25 * INCH,
        top=1 * INCH,
        padding=_WIDE_PADDING,
        shape="wide",
        qr_size=_WIDE_QR,
        lines=_wide_lines(4 * INCH - 2 * _WIDE_PADDING, _WIDE_QR),
    ),
    "a6-4": Layout(
        name="a6-4",
        label="A6 badges, four to an A4 sheet (cut in quarters)",
        page_width=210 * MM,
        page_height=297 * MM,
        columns=2,
        rows=2,
        badge_width=105 * MM,
        badge_height=148 * MM,
        left=0,
        top=0.5 * MM,
        padding=_TALL_PADDING,
        shape="tall",
        qr_size=_TALL_QR,
        lines=_tall_lines(105 * MM - 2 * _TALL_PADDING),
        cut_guides=True,
    ),
    "label": Layout(
        name="label",
        label="One 4″ × 3″ label per page, for a label printer",
        page_width=4 * INCH,
        page_height=3 * INCH,
        columns=1,
        rows=1,
        badge_width=4 * INCH,
        badge_height=3 * INCH,
        left=0,
        top=0,
        padding=_WIDE_PADDING,
        shape="wide",
        qr_size=_WIDE_QR,
        lines=_wide_lines(4 * INCH - 2 * _WIDE_PADDING, _WIDE_QR),
    ),
}
DEFAULT_LAYOUT = "letter-6"
