"""Importing a guest list on a phone: upload, preview, remap with htmx, confirm, accessibility."""

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from checkin.extensions import db
from checkin.models import Event, Guest

from .axe import serious_violations
from .conftest import screenshot

EVENTBRITE = Path(__file__).parents[1] / "data" / "eventbrite-attendee-summary.csv"


def troubled_export() -> str:
    """The Eventbrite export with trouble appended: bad email and year, a duplicate, markup, a
    formula, a ragged row; two of its guests are put on the list beforehand (see below)."""
    rows = list(csv.reader(io.StringIO(EVENTBRITE.read_text(encoding="utf-8-sig"))))
    template = rows[1]

    def row(first, last, email, ref, year="2014"):
        cells = list(template)
        cells[2:5], cells[7], cells[9], cells[10] = [first, last, email], ref, "Attending", year
        return cells

    top = [  # rows 2 and 3, so they are among the sample rows shown
        row("<script>alert(1)</script>", "Markup", "markup@example.org", "9004"),
        row('=HYPERLINK("http://evil.example","Click")', "", "formula@example.org", "9005"),
    ]
    rows[1:1] = top
    rows += [
        row("Bob", "Broken", "bob(at)example.org", "9001"),
        row("Cy", "Someday", "cy@example.org", "9002", year="nineteen ninety"),
        row("Émilie", "Again", "EMILIE.FONTAINE5@example.org", "9003"),
        row("Ragged", "Row", "ragged@example.org", "9006") + ["stray", "cells"],
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def guests(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Guest.id)))


def test_upload_preview_remap_and_confirm_on_a_phone(live_app, phone, signed_in):
    """Upload the Eventbrite export, see its preview, change a column, confirm, see the flash."""
    csp = []
    phone.on(
        "console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None
    )
    phone.goto(f"{live_app.base_url}/events/{signed_in}/import")
    screenshot(phone, "import-upload")
    phone.get_by_label("Guest list file (CSV)").set_input_files(EVENTBRITE)
    phone.get_by_role("button", name="Preview the import").click()

    confirm = phone.get_by_role("button", name="Import 228 guests")
    expect(confirm).to_be_visible(timeout=20_000)  # a loaded CI machine parses slowly
    expect(phone.get_by_role("list", name="Summary")).to_contain_text("12 refunded or transferred")
    expect(phone.get_by_role("cell", name="Émilie Fontaine")).to_be_visible()
    screenshot(phone, "import-preview")
    assert serious_violations(phone) == []
    assert guests(live_app) == 0

    status = phone.get_by_label("Attendee Status", exact=True)
    status.scroll_into_view_if_needed()
    status.focus()  # as a tap on it would
    before = phone.evaluate("window.scrollY")
    status.select_option("extra")  # htmx re-renders the preview: refunded guests now count
    expect(phone.get_by_role("button", name="Import 240 guests")).to_be_visible()
    expect(phone.get_by_label("Attendee Status", exact=True)).to_be_focused()
    # The swapped preview stays where the thumb was (scroll anchoring once jumped to the bottom).
    assert abs(phone.evaluate("window.scrollY") - before) < 100
    phone.get_by_label("Attendee Status", exact=True).select_option("status")
    expect(confirm).to_be_visible()
    screenshot(phone, "import-preview-remapped")

    confirm.click()
    phone.wait_for_url(f"{live_app.base_url}/events/{signed_in}")
    expect(phone.get_by_text("Imported 228 guests.")).to_be_visible()
    screenshot(phone, "import-done")
    assert guests(live_app) == 228
    assert csp == []


def test_preview_fits_a_narrow_phone(live_app, browser, signed_in, phone):
    """At 360 px wide the preview does not scroll sideways (the sample table scrolls by itself)."""
    phone.set_viewport_size({"width": 360, "height": 780})
    phone.goto(f"{live_app.base_url}/events/{signed_in}/import")
    phone.get_by_label("Guest list file (CSV)").set_input_files(EVENTBRITE)
    phone.get_by_role("button", name="Preview the import").click()
    expect(phone.get_by_role("button", name="Import 228 guests")).to_be_visible(timeout=20_000)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "import-preview-360")


def test_a_wrong_file_explains_itself(live_app, phone, signed_in, tmp_path):
    """An Excel workbook uploaded by mistake gets told to export as CSV."""
    workbook = tmp_path / "guests.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + bytes(200))
    phone.goto(f"{live_app.base_url}/events/{signed_in}/import")
    phone.get_by_label("Guest list file (CSV)").set_input_files(workbook)
    phone.get_by_role("button", name="Preview the import").click()
    expect(phone.get_by_role("alert")).to_contain_text("This looks like an Excel file (.xlsx)")
    screenshot(phone, "import-wrong-file")
    assert serious_violations(phone) == []


@pytest.mark.parametrize("width, height", [(390, 844), (360, 780)])
def test_a_troubled_export_previews_every_problem_on_a_phone(
    live_app, phone, signed_in, tmp_path, width, height
):
    """Errors, duplicates (in the file and on the list), refunded rows and markup all show,
    readable at 390 and 360 px without sideways scrolling; nothing is written."""
    path = tmp_path / "eventbrite-troubled.csv"
    path.write_text(troubled_export(), encoding="utf-8-sig")
    with live_app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == signed_in))
        db.session.add(Guest(event_id=event.id, name="Ines W", email="Ines.Wojcik84@Example.org"))
        db.session.commit()
    phone.set_viewport_size({"width": width, "height": height})
    phone.goto(f"{live_app.base_url}/events/{signed_in}/import")
    phone.get_by_label("Guest list file (CSV)").set_input_files(path)
    phone.get_by_role("button", name="Preview the import").click()

    summary = phone.get_by_role("list", name="Summary")
    expect(summary).to_contain_text("3 with errors", timeout=20_000)
    expect(summary).to_contain_text("2 duplicates")
    expect(summary).to_contain_text("12 refunded or transferred")
    errors = phone.get_by_role("region", name="Rows with errors (3)")
    expect(errors).to_contain_text("Email “bob(at)example.org” is not valid")
    expect(errors).to_contain_text("Class year “nineteen ninety” is not a year.")
    expect(errors).to_contain_text("This row has 18 cells but the header has 16")
    duplicates = phone.get_by_role("region", name="Duplicates, not imported (2)")
    expect(duplicates).to_contain_text("Already on the guest list (same email).")
    expect(duplicates).to_contain_text("Same email as row 4.")  # Émilie, in another case
    expect(phone.get_by_role("cell", name="<script>alert(1)</script> Markup")).to_be_visible()
    expect(
        phone.get_by_role("cell", name='=HYPERLINK("http://evil.example","Click")')
    ).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(phone, f"import-preview-troubled-{width}")
    assert serious_violations(phone) == []
    assert guests(live_app) == 1


def test_a_list_changed_since_the_preview_is_refused_and_shown_again(live_app, phone, signed_in):
    """A guest added by hand after the preview: Import writes nothing and shows the new preview."""
    phone.goto(f"{live_app.base_url}/events/{signed_in}/import")
    phone.get_by_label("Guest list file (CSV)").set_input_files(EVENTBRITE)
    phone.get_by_role("button", name="Preview the import").click()
    stale = phone.get_by_role("button", name="Import 228 guests")
    expect(stale).to_be_visible(timeout=20_000)
    with live_app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == signed_in))
        db.session.add(
            Guest(event_id=event.id, name="Émilie", email="emilie.fontaine5@example.org")
        )
        db.session.commit()
    stale.click()
    expect(phone.get_by_role("alert")).to_contain_text("Nothing was imported: the columns or")
    expect(phone.get_by_role("button", name="Import 227 guests")).to_be_visible()
    screenshot(phone, "import-preview-changed")
    assert guests(live_app) == 1
    phone.get_by_role("button", name="Import 227 guests").click()
    expect(phone.get_by_text("Imported 227 guests.")).to_be_visible()
    assert guests(live_app) == 228
