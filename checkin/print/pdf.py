"""Badge sheets as PDF with WeasyPrint: pure, so it runs in worker processes without the app.

What makes it fast (see docs/benchmarks.md): each QR code is a PNG of one pixel per module,
scaled up in print with `image-rendering: pixelated` (an inline SVG costs a path per module
to lay out and to write); every badge is placed absolutely on its sheet (a flex or grid
container around many badges makes layout superlinear); text sizes are chosen before layout
(fit) and named by classes, so one stylesheet per layout is parsed once per process.
"""

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from . import fit
from .layouts import LAYOUTS, Layout

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "print"
FONT_FAMILY = "Noto Sans"  # the vendored files, by @font-face (no system font has it)
FIELDS = ("event", "first", "name", "year", "affiliation")
BOLD = {"first", "year"}


@dataclass(frozen=True)
class Badge:
    """What one badge says, the text its QR code carries ("" for none), and maybe the code's
    image already made (a PNG data URI: pool makes them so workers need no numpy)."""

    event: str
    first: str
    name: str
    year: str
    affiliation: str
    url: str
    qr: str = ""

    def with_qr(self) -> "Badge":
        """The same badge with its QR code image made."""
        return replace(self, qr=qr_image(self.url)) if self.url and not self.qr else self


def render(badges: list[Badge], layout_name: str, title: str = "Badges") -> bytes:
    """A PDF of badges on sheets of the layout."""
    return document(badges, layout_name, title).write_pdf()


def document(badges: list[Badge], layout_name: str, title: str = "Badges"):
    """The laid-out WeasyPrint document of badges on sheets of the layout."""
    from weasyprint import HTML

    layout = LAYOUTS[layout_name]
    stylesheet, fonts = _stylesheet(layout_name)
    html = HTML(string=sheet_html(badges, layout, title), base_url=str(TEMPLATES))
    return html.render(stylesheets=[stylesheet], font_config=fonts)


def sheet_html(badges: list[Badge], layout: Layout, title: str) -> str:
    """The HTML of the sheets: badges in slots, sizes chosen, QR codes as data URIs."""
    per_page = layout.per_page
    pages = [
        [_placed(badge, layout) for badge in badges[start : start + per_page]]
        for start in range(0, len(badges), per_page)
    ]
    return _templates().get_template("sheet.html").render(pages=pages, layout=layout, title=title)


def _placed(badge: Badge, layout: Layout) -> dict:
    """One badge's texts with their fitted sizes, and its QR code."""
    texts = {}
    for name in FIELDS:
        text = getattr(badge, name)
        if name == "name" and text == badge.first:
            text = ""  # someone known by one name: say it once
        weight = "bold" if name in BOLD else "regular"
        texts[name] = (text, text and fit.fit(text, layout.lines[name], weight))
    return {"texts": texts, "qr": badge.with_qr().qr}


def qr_image(text: str) -> str:
    """The QR code image for text (imported here: workers get images made, not numpy)."""
    from .qr import png_data_uri

    return png_data_uri(text)


@cache
def _templates() -> Environment:
    """The Jinja environment of templates/print (no app needed: this runs in workers)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
    )


@cache
def _stylesheet(layout_name: str):
    """The parsed stylesheet of a layout and the font configuration holding its fonts."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    text = stylesheet_text(LAYOUTS[layout_name])
    return CSS(string=text, base_url=str(TEMPLATES), font_config=fonts), fonts


def stylesheet_text(layout: Layout) -> str:
    """The layout's stylesheet: the fonts, badges.css, then sizes and slots for the layout."""
    faces = "".join(
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; '
        f'src: url("{(fit.FONT_DIR / file).as_uri()}"); }}\n'
        for weight, file in (
            ("400", fit.FONT_FILES["regular"]),
            ("700", fit.FONT_FILES["bold"]),
        )
    )
    base = (TEMPLATES / "badges.css").read_text()
    return faces + base + _layout_rules(layout)


def _layout_rules(layout: Layout) -> str:
    """Rules from the layout's measures: page, slots, badge, each line's width, sizes."""
    rules = [
        f"@page {{ size: {layout.page_width}pt {layout.page_height}pt; margin: 0; }}",
        f".sheet {{ width: {layout.page_width}pt; height: {layout.page_height}pt; }}",
        f".badge {{ width: {layout.badge_width}pt; height: {layout.badge_height}pt; "
        f"padding: {layout.padding}pt; }}",
        f".qr {{ width: {layout.qr_size}pt; height: {layout.qr_size}pt; }}",
    ]
    for slot, (left, top) in enumerate(layout.slots()):
        rules.append(f".slot-{slot} {{ left: {left:.3f}pt; top: {top:.3f}pt; }}")
    for name, line in layout.lines.items():
        rules.append(f".{name} {{ width: {line.width:.3f}pt; }}")
    inset = f"{layout.padding:.3f}pt"
    if layout.shape == "wide":
        details = layout.lines["name"].width
        rules.append(f".details {{ width: {details:.3f}pt; left: {inset}; bottom: {inset}; }}")
        rules.append(f".qr {{ right: {inset}; bottom: {inset}; }}")
    else:
        middle = (layout.badge_width - layout.qr_size) / 2
        rules.append(f".qr {{ left: {middle:.3f}pt; bottom: {inset}; }}")
    sizes = range(fit.MIN_SIZE, 1 + max(x.largest for x in layout.lines.values()))
    rules += [f".fs-{size} {{ font-size: {size}pt; }}" for size in sizes]
    return "\n".join(rules) + "\n"
