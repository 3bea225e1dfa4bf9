"""Badge sheets: every QR scans back to its ticket, names print as text, layouts fit stock."""

import random
from dataclasses import replace
from pathlib import Path

import pytest
import qrcode
from sqlalchemy import select
from support.pdf_qr import (
    decoded_qr_codes,
    fonts,
    page_size,
    pages,
    screenshot,
    text,
    word_boxes,
)

from checkin.events import tickets
from checkin.extensions import db
from checkin.imports import storage
from checkin.models import Event, Guest, utcnow
from checkin.print import badges, fit, pool, qr
from checkin.print.layouts import LAYOUTS, Line

DATA = Path(__file__).parents[1] / "data"
GUEST_LISTS = ["eventbrite-attendee-summary.csv", "google-forms-rsvp.csv", "plain-name-email.csv"]
SEVEN = [
    "Seán Ó Súilleabháin",
    "Łukasz Wójcik",
    "Gökhan Yılmaz",
    "Zoë Œhlenschläger",
    "Νίκος Παπαδόπουλος",
    "Дмитрий Иванов",
    "Ada Lovelace",
]
PAGES_FOR_SEVEN = {"letter-6": 2, "a6-4": 2, "label": 7}
PAGE_SIZES = {
    "letter-6": "612 x 792 pts (letter)",
    "a6-4": "595.276 x 841.89 pts (A4)",
    "label": "288 x 216 pts",
}


@pytest.fixture
def seven(make_event, make_guest):
    """An event with seven guests whose names need Latin, Greek and Cyrillic; slug and QR texts."""
    slug = make_event()
    urls = [make_guest(slug, name=name, class_year=2009)[1] for name in SEVEN]
    return slug, urls


def render(slug: str, layout: str, path: Path, **options) -> Path:
    """Render the event's guest list to path."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    path.write_bytes(badges.render_badges(badges.guest_list(event), event, layout, **options))
    return path


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_qr_scans_back_to_its_guests_ticket(app, seven, tmp_path, layout):
    """Each page, rendered at 150 dpi, gives back every guest's ticket URL once, and no other."""
    slug, urls = seven
    with app.app_context():
        pdf = render(slug, layout, tmp_path / "badges.pdf")
    assert sorted(decoded_qr_codes(pdf, tmp_path)) == sorted(urls)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_pages_and_paper_of_each_layout(app, seven, tmp_path, layout):
    """Seven guests: two Letter sheets of six, two A4 sheets of four, seven labels."""
    with app.app_context():
        pdf = render(seven[0], layout, tmp_path / "badges.pdf")
    assert pages(pdf) == PAGES_FOR_SEVEN[layout]
    assert page_size(pdf) == PAGE_SIZES[layout]


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_names_print_as_text_in_the_vendored_font(app, seven, tmp_path, layout):
    """Latin, Greek and Cyrillic names come out of the PDF as typed, in embedded Noto Sans."""
    with app.app_context():
        pdf = render(seven[0], layout, tmp_path / "badges.pdf")
    printed = text(pdf)
    for name in SEVEN:
        assert name in printed
    assert "\ufffd" not in printed
    used = fonts(pdf)
    assert {font["name"].split("+")[1] for font in used} == {"Noto-Sans", "Noto-Sans-Bold"}
    assert all(font["embedded"] == "yes" and font["subset"] == "yes" for font in used)


def test_sample_guest_lists_print_every_name(app, make_event, tmp_path):
    """Every guest imported from the three sample lists has their name on a badge, exactly."""
    slug = make_event()
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        for name in GUEST_LISTS:
            storage.import_file(event, (DATA / name).read_bytes(), [], commit=True)
        db.session.commit()
        names = [person.name for person in badges.guest_list(event)]
        pdf = render(slug, "letter-6", tmp_path / "all.pdf")
    printed = text(pdf)
    assert len(names) > 300
    assert [name for name in names if name not in printed] == []
    assert "\ufffd" not in printed
    assert pages(pdf) == -(-len(names) // 6)


def test_badge_says_first_name_full_name_year_and_employer(app, make_event, tmp_path):
    """One label: the first name, the full name, '09 and the employer, in that order."""
    slug = make_event(name="Spring Gala")
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        person = Guest(event_id=event.id, name="Grace Hopper", class_year=1934)
        person.employer = "US Navy"
        db.session.add(person)
        db.session.flush()
        tickets.issue(person)
        db.session.commit()
        pdf = render(slug, "label", tmp_path / "one.pdf")
    assert text(pdf) == "Spring Gala Grace Grace Hopper \u201934 US Navy"


def test_markup_in_names_prints_as_typed(app, make_event, make_guest, tmp_path):
    """A name with HTML in it is escaped: it prints literally and changes nothing else."""
    slug = make_event()
    make_guest(slug, name='Ana <b>Bold</b> & "Co" <img src=x>')
    with app.app_context():
        pdf = render(slug, "label", tmp_path / "markup.pdf")
    assert text(pdf) == 'Fall Reunion Ana Ana <b>Bold</b> & "Co" <img src=x> \u201909'


LONG_NAMES = [
    "Maximiliana Alexandrina Josefina von Hohenzollern-Sigmaringen-Württemberg",
    "Wolfeschlegelsteinhausenbergerdorff Smith",
    "Χαράλαμπος-Παναγιώτης Αθανασόπουλος-Χριστοδουλόπουλος",
    "Александра-Валентина Константинопольская-Преображенская",
]


@pytest.mark.parametrize("layout", ["label", "a6-4"])
def test_long_names_stay_inside_their_badge(app, make_event, make_guest, tmp_path, layout):
    """Long names shrink or wrap within the padding and never run into the QR code."""
    slug = make_event(name="The Annual Reunion Dinner of the Classes of 1975 to 2025, Gala Edition")
    for name in LONG_NAMES:
        make_guest(slug, name=name)
    with app.app_context():
        pdf = render(slug, layout, tmp_path / "long.pdf")
    sheet = LAYOUTS[layout]
    printed = _letters(text(pdf))  # pdftotext joins a line broken after a hyphen without it
    assert all(_letters(name) in printed for name in LONG_NAMES)
    qr_left = sheet.badge_width - sheet.padding - sheet.qr_size
    qr_top = sheet.badge_height - sheet.padding - sheet.qr_size
    for word in word_boxes(pdf):
        left, top = _badge_origin(sheet, word)
        x0, x1, y0, y1 = word["x0"] - left, word["x1"] - left, word["y0"] - top, word["y1"] - top
        assert sheet.padding - 0.5 <= x0 and x1 <= sheet.badge_width - sheet.padding + 0.5, word
        # vertically, a word's box is the font's (taller than its letters and than the line)
        assert sheet.padding - 2 <= y0 and y1 <= sheet.badge_height - sheet.padding + 2, word
        if sheet.shape == "wide":
            assert x1 <= qr_left or y1 <= qr_top, word  # not over the QR code


def _letters(words: str) -> str:
    """Text without spaces and hyphens."""
    return "".join(words.split()).replace("-", "")


def _badge_origin(sheet, word) -> tuple[float, float]:
    """The top-left corner of the badge a word lies in."""
    for left, top in sheet.slots():
        if (
            left <= word["x0"] < left + sheet.badge_width
            and top <= word["y0"] < top + sheet.badge_height
        ):
            return left, top
    raise AssertionError(f"{word} lies outside every badge")


def test_badges_render_in_worker_processes_with_progress(app, seven, tmp_path, monkeypatch):
    """Past the in-process limit, chunks render in workers; progress counts badges to the total."""
    monkeypatch.setattr(badges, "IN_PROCESS_LIMIT", 0)
    monkeypatch.setattr(pool, "CHUNK_BADGES", 1)  # seven labels: seven chunks
    seen = []
    with app.app_context():
        pdf = render(seven[0], "label", tmp_path / "pool.pdf", progress=lambda *a: seen.append(a))
    assert [done for done, _ in seen] == [1, 2, 3, 4, 5, 6, 7]
    assert {total for _, total in seen} == {7}
    assert pages(pdf) == 7
    assert text(pdf).startswith("Fall Reunion Ada Ada Lovelace")  # chunks joined in order
    assert sorted(decoded_qr_codes(pdf, tmp_path)) == sorted(seven[1])


def test_a_worker_that_fails_is_reported(app, seven, tmp_path, monkeypatch):
    """A worker stopping mid-job raises RenderFailed with what it said, and leaves no process."""
    monkeypatch.setattr(badges, "IN_PROCESS_LIMIT", 0)
    monkeypatch.setattr(pool, "CHUNK_BADGES", 1)
    monkeypatch.setitem(LAYOUTS, "broken", replace(LAYOUTS["label"], name="broken"))
    before = set(_children())  # other fixtures of the session may have processes of their own
    with app.app_context(), pytest.raises(pool.RenderFailed, match="KeyError: 'broken'"):
        render(seven[0], "broken", tmp_path / "x.pdf")
    assert set(_children()) - before == set()


def _children() -> list[str]:
    """This process's child processes, from /proc."""
    tasks = Path("/proc/self/task")
    return [pid for task in tasks.iterdir() for pid in (task / "children").read_text().split()]


def test_guest_without_a_ticket_gets_a_badge_without_a_code(app, seven, tmp_path):
    """A revoked ticket: the badge still has the name, and no QR code that would be refused."""
    slug, urls = seven
    with app.app_context():
        ticket = tickets.find(urls[0])[0]
        ticket.revoked_at = utcnow()
        db.session.commit()
        pdf = render(slug, "letter-6", tmp_path / "badges.pdf")
    assert sorted(decoded_qr_codes(pdf, tmp_path)) == sorted(urls[1:])
    assert SEVEN[0] in text(pdf)


def test_only_the_events_own_guests(app, seven, make_event, make_guest):
    """A guest of another event is refused, not printed under this event's name."""
    other = make_event(name="Other Event", email="other@example.org")
    stranger_id, _ = make_guest(other, name="Eve Stranger")
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == seven[0]))
        people = badges.guest_list(event) + [db.session.get(Guest, stranger_id)]
        with pytest.raises(ValueError, match="Eve Stranger"):
            badges.render_badges(people, event)


def test_unknown_layout_and_nobody(app, seven):
    """An unknown layout names the known ones; an empty selection says there is nothing."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == seven[0]))
        with pytest.raises(badges.UnknownLayout, match="letter-6, a6-4, label"):
            badges.render_badges(badges.guest_list(event), event, "avery-9999")
        with pytest.raises(badges.NoBadges):
            badges.render_badges([], event)


def test_query_results_work_as_guests(app, seven, tmp_path):
    """Rows from db.session.execute(select(Guest)) render like a list of guests."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == seven[0]))
        rows = db.session.execute(select(Guest).where(Guest.event_id == event.id))
        pdf = tmp_path / "rows.pdf"
        pdf.write_bytes(badges.render_badges(rows, event, "a6-4"))
    assert pages(pdf) == 2


def test_badge_qr_is_module_for_module_qrcodes_own():
    """The fast mask choice picks what qrcode picks, so badge and ticket page show one symbol."""
    rng = random.Random(6)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    for n in range(60):
        base = rng.choice(["https://alumni.example.edu", "http://127.0.0.1:5000", "https://x.io"])
        data = f"{base}/t/{''.join(rng.choices(alphabet, k=32))}" * (1 + n % 4)
        reference = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        reference.add_data(data)
        reference.make(fit=True)
        assert qr.modules(data) == reference.modules, data


def test_fit_shrinks_long_text_and_keeps_short_text_large():
    """A short name gets the largest size; a longer one a smaller size that still fits."""
    line = Line(width=200, largest=40, smallest=14, lines=2)
    assert fit.fit("Ada", line, "bold").size == 40
    long = fit.fit("Bartholomew-Maximilian", line, "bold")
    assert 14 <= long.size < 40 and not long.wraps
    font = fit.metrics("bold")
    assert font.width("Bartholomew-Maximilian") * long.size <= 200
    assert fit.fit("Anna Maria Magdalena Louise", Line(120, 20, 12, 2)).wraps
    assert font.covers("Ó Súilleabháin Łukasz Gökhan Zoë Νίκος Дмитрий")


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_screenshot_of_a_sheet(app, seven, tmp_path, layout):
    """The first page of each layout, as a picture to look at (test-results/screenshots/)."""
    with app.app_context():
        pdf = render(seven[0], layout, tmp_path / "badges.pdf")
    image = screenshot(pdf, f"badge-sheet-{layout}", dpi=60 if layout != "label" else 150)
    assert image.stat().st_size > 10_000
