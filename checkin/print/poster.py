"""The door poster (WeasyPrint): the event, "Have your QR code ready", and a QR code that opens
"send me my ticket again" for guests who cannot find their email. The registration poster is
the same sheet whose QR code opens the event's public page, to register.

One design, two page sizes: US Letter and A4 are offered as separate downloads rather than one
compromise size, because a printer given the other size scales or crops. The content is laid
out to fit the shorter page (Letter), so both come out alike on one sheet. The QR is a PNG of
one pixel per module drawn with `image-rendering: pixelated` (sharp at any size, no seams
between modules as an SVG of squares can show), with quiet zone to spare for phone cameras.
"""

import base64
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import qrcode
from flask import abort, current_app, render_template

from ..models import Event

STYLESHEET = Path(__file__).resolve().parents[2] / "templates" / "print" / "poster.css"
# name: (what the organizer reads, CSS page size)
SIZES = {"letter": ("US Letter", "letter"), "a4": ("A4", "A4")}


def again_url(event: Event) -> str:
    """The "send me my ticket again" page of this event, under BASE_URL."""
    return f"{current_app.config['BASE_URL']}/e/{event.slug}/link-again"


def public_url(event: Event) -> str:
    """The event's public page, where alumni register, under BASE_URL."""
    return f"{current_app.config['BASE_URL']}/e/{event.slug}"


def poster_pdf(event: Event, size: str, public: bool = False) -> bytes:
    """The poster as PDF on this paper size (404 for a size we do not offer); public: the
    registration poster, whose QR opens the event's public page."""
    from weasyprint import CSS, HTML  # heavy import: only when a poster is made
    from weasyprint.text.fonts import FontConfiguration

    if size not in SIZES:
        abort(404)
    url = public_url(event) if public else again_url(event)
    html = render_template(
        "print/poster.html",
        public=public,
        event=event,
        when=when(event),
        again_url=url,
        short_url=url.split("://", 1)[-1],
        qr=_qr_png(url),
    )
    fonts = FontConfiguration()
    sheets = [
        CSS(filename=str(STYLESHEET), font_config=fonts),
        CSS(string=f"@page {{ size: {SIZES[size][1]}; }}", font_config=fonts),
    ]
    return HTML(string=html, base_url=str(STYLESHEET.parent)).write_pdf(
        stylesheets=sheets, font_config=fonts
    )


def when(event: Event) -> str:
    """The date and hours as a poster says them: "Thursday 26 November 2026 · 18:00–23:00"."""
    zone = ZoneInfo(event.timezone)
    start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    day = f"{start:%A} {start.day} {start:%B %Y}"
    if end.date() == start.date():
        return f"{day} · {start:%H:%M}–{end:%H:%M}"
    return f"{day}, {start:%H:%M} – {end:%A} {end.day} {end:%B}, {end:%H:%M}"


def filename(event: Event, size: str, public: bool = False) -> str:
    """The download's name."""
    return f"{event.slug}-{'register' if public else 'door'}-poster-{size}.pdf"


def _qr_png(data: str) -> str:
    """A QR code as a PNG data URI, one pixel per module (scaled up in print)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(data)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
