"""Importing a guest list on a phone: upload, preview, remap with htmx, confirm, accessibility."""

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import func, select

from checkin.extensions import db
from checkin.models import Attendee

from .axe import serious_violations
from .conftest import screenshot

EVENTBRITE = Path(__file__).parents[1] / "data" / "eventbrite-attendee-summary.csv"


def attendees(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Attendee.id)))


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
    assert attendees(live_app) == 0

    status = phone.get_by_label("Attendee Status")
    status.focus()  # as a tap on it would
    status.select_option("extra")  # htmx re-renders the preview: refunded guests now count
    expect(phone.get_by_role("button", name="Import 240 guests")).to_be_visible()
    expect(phone.get_by_label("Attendee Status")).to_be_focused()
    phone.get_by_label("Attendee Status").select_option("status")
    expect(confirm).to_be_visible()
    screenshot(phone, "import-preview-remapped")

    confirm.click()
    phone.wait_for_url(f"{live_app.base_url}/events/{signed_in}")
    expect(phone.get_by_text("Imported 228 guests.")).to_be_visible()
    screenshot(phone, "import-done")
    assert attendees(live_app) == 228
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
