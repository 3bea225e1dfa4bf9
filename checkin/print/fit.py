"""Fitting names on badges: the largest whole point size at which a text fits its room.

WeasyPrint cannot shrink text to fit, so we measure before laying out: the advance widths
of the vendored font's glyphs give a text's width at any size (kerning only makes it
narrower, and a small allowance covers the rest). A text that does not fit on its lines
at the smallest size is still set at that size, wrapping anywhere and clipped to its box
by the stylesheet, so it can never run over the badge.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

from .layouts import Line

FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "vendor" / "noto-sans"
FONT_FILES = {"regular": "NotoSans_400Regular.ttf", "bold": "NotoSans_700Bold.ttf"}
SLACK = 0.95  # of the room a measured text may fill: shaping differences, rounding
FLOOR = 0.6  # of a line's smallest size, for words that fit no other way
MIN_SIZE = 5  # points: still legible on paper


@dataclass(frozen=True)
class Fit:
    """How to set one text: its size in points and whether it wraps."""

    size: int
    wraps: bool


class Metrics:
    """Advance widths of one font, in ems."""

    def __init__(self, path: Path) -> None:
        font = TTFont(path, lazy=True)
        per_em = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        self.widths = {
            code: metrics[glyph][0] / per_em for code, glyph in font.getBestCmap().items()
        }
        self.fallback = metrics[".notdef"][0] / per_em if ".notdef" in metrics else 0.6
        font.close()

    def width(self, text: str) -> float:
        """The width of text at 1 pt, in points."""
        get = self.widths.get
        return sum(get(ord(char), self.fallback) for char in text)

    def covers(self, text: str) -> bool:
        """True when the font has a glyph for every character of text."""
        return all(ord(char) in self.widths for char in text if not char.isspace())


@cache
def metrics(weight: str) -> Metrics:
    """The metrics of the vendored font in this weight ("regular" or "bold")."""
    return Metrics(FONT_DIR / FONT_FILES[weight])


def fit(text: str, line: Line, weight: str = "regular") -> Fit:
    """The largest size, line.largest down, at which text fits its lines.

    Below line.smallest only keeping a word whole may shrink it further (to FLOOR of
    line.smallest): a very long single name reads better small than broken in two.
    """
    font = metrics(weight)
    room = line.width * SLACK
    one_line = font.width(text)
    for size in range(line.largest, line.smallest - 1, -1):
        if one_line * size <= room:
            return Fit(size, False)
        if line.lines > 1 and _wrapped_lines(text, font, room / size) <= line.lines:
            return Fit(size, True)
    floor = max(MIN_SIZE, round(line.smallest * FLOOR))
    for size in range(line.smallest - 1, floor - 1, -1):
        if one_line * size <= room:
            return Fit(size, False)
        if _wrapped_lines(text, font, room / size) <= line.lines:
            return Fit(size, True)
    # Still too long: broken anywhere within its lines, or cut short with an ellipsis when it
    # has one line (the stylesheet clips both, so nothing runs over the badge).
    return Fit(floor, line.lines > 1)


def _wrapped_lines(text: str, font: Metrics, room: float) -> int:
    """How many lines text takes when wrapped at spaces into lines room wide (at 1 pt)."""
    lines, used, space = 1, 0.0, font.width(" ")
    for word in text.split():
        width = font.width(word)
        if width > room:
            return 99  # a word wider than the line: only breaking inside it would help
        if used and used + space + width > room:
            lines, used = lines + 1, width
        else:
            used = used + space + width if used else width
    return lines
