"""Guest-list import pages: upload, preview (page and htmx fragment), confirm, who may see."""

import io
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import csrf_token
from sqlalchemy import func, select, update
from support.pages import HTMX, readable

from checkin.extensions import db
from checkin.imports import storage
from checkin.models import Guest, GuestImport, Ticket, utcnow

DATA = Path(__file__).parents[1] / "data"
EVENTBRITE = DATA / "eventbrite-attendee-summary.csv"
PLAIN = DATA / "plain-name-email.csv"


def kept_files(app) -> list[bytes]:
    """The uploaded files the database still keeps."""
    with app.app_context():
        kept = select(GuestImport.data).where(GuestImport.data.is_not(None))
        return list(db.session.scalars(kept))


def count(app, model=Guest) -> int:
    """How many rows of a model there are."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


class Organizer:
    """A signed-in organizer's browser: uploads files and posts forms with a CSRF token."""

    def __init__(self, client, slug):
        self.client, self.slug = client, slug
        self.token = csrf_token(client, "/events")

    def upload(self, data: bytes, filename="guests.csv", slug=None):
        """Post a file to the upload form."""
        return self.client.post(
            f"/events/{slug or self.slug}/import",
            data={"csrf_token": self.token, "file": (io.BytesIO(data), filename)},
            content_type="multipart/form-data",
        )

    def start(self, data: bytes) -> str:
        """Upload a file that reads; the preview URL it redirects to."""
        response = self.upload(data)
        assert response.status_code == 303, readable(response)
        return response.headers["Location"]

    def post(self, path, data=None, **kw):
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kw)

    def previewed(self, preview_url, mapping=None) -> str:
        """The fingerprint the preview under this mapping gives its confirm button."""
        html = self.post(preview_url, mapping).get_data(as_text=True)
        return re.search(r'name="preview" value="([0-9a-f]*)"', html).group(1)

    def confirm(self, preview_url, mapping=None):
        """Confirm the import exactly as the preview under this mapping shows it."""
        fingerprint = self.previewed(preview_url, mapping)
        return self.post(preview_url + "/confirm", {**(mapping or {}), "preview": fingerprint})


@pytest.fixture
def importer(client, sign_in, make_event):
    """The organizer of the Fall Reunion, signed in."""
    slug = make_event()
    sign_in()
    return Organizer(client, slug)


@pytest.fixture
def rival(app, make_event, sign_in):
    """Another organizer, with their own event, in their own browser."""
    slug = make_event("Rival Gala", email="rival@example.org")
    browser = app.test_client()
    sign_in(email="rival@example.org", test_client=browser)
    return Organizer(browser, slug)


def test_import_page_needs_an_organizer(client, make_event):
    """Signed out, the import page sends you to sign in."""
    slug = make_event()
    response = client.get(f"/events/{slug}/import")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_upload_form_is_a_real_multipart_form(importer):
    """The upload page has a file input in a multipart form that posts to itself."""
    html = importer.client.get(f"/events/{importer.slug}/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    assert f'action="/events/{importer.slug}/import"' in html


def test_upload_shows_the_preview_and_writes_nothing(app, importer):
    """An Eventbrite export previews with counts, mapping and rows; no guest is added."""
    preview_url = importer.start(EVENTBRITE.read_bytes())
    response = importer.client.get(preview_url)
    page = readable(response)
    assert response.status_code == 200
    assert "228 to import" in page and "0 with errors" in page and "0 duplicates" in page
    assert "12 refunded or transferred" in page
    assert "Émilie Fontaine" in page and "Import 228 guests" in page
    assert "Row 7 Registration status is “Refunded”." in page
    assert "utf-8 (with BOM) · comma-separated" in page
    assert '<option value="first_name" selected>' in response.get_data(as_text=True)
    assert count(app) == 0


def test_the_browser_holds_only_the_token_and_the_mapping(importer):
    """The preview form carries no guest data: the CSRF token, the preview's digest, selects."""
    html = importer.client.get(importer.start(PLAIN.read_bytes())).get_data(as_text=True)
    form = html[
        html.index('<form id="import-preview"') : html.index(
            "</form>", html.index('id="import-preview"')
        )
    ]
    hidden = re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"', form)
    assert hidden == ["csrf_token", "preview"]
    assert re.search(r'name="preview" value="[0-9a-f]{32}"', form)
    assert re.findall(r'<select[^>]*name="([^"]+)"', form) == ["column-0", "column-1"]


def test_changing_the_mapping_rerenders_the_preview_as_a_fragment(app, importer):
    """htmx posts the selects; the fragment counts the refunded guests in once status is extra."""
    preview_url = importer.start(EVENTBRITE.read_bytes())
    mapping = {
        f"column-{i}": f
        for i, f in enumerate(
            [
                "extra",
                "extra",
                "first_name",
                "last_name",
                "email",
                "extra",
                "extra",
                "external_ref",
                "extra",
                "extra",
                "class_year",
                "residence_hall",
                "clubs",
                "industry",
                "interests",
                "willing_to_mentor",
            ]
        )
    }
    response = importer.post(preview_url, mapping, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<form id="import-preview"')
    assert "Import 240 guests" in readable(response)
    assert count(app) == 0


def test_update_preview_without_javascript_renders_the_whole_page(importer):
    """The plain "Update preview" submit answers with the full page."""
    preview_url = importer.start(PLAIN.read_bytes())
    response = importer.post(preview_url, {"column-0": "name", "column-1": "extra"})
    assert "<html" in response.get_data(as_text=True)
    assert "Import 25 guests" in readable(response)
    assert '<option value="extra" selected>' in response.get_data(as_text=True)


def test_confirm_imports_and_flashes_on_the_event_page(app, importer):
    """Confirming imports the guests with tickets and says how many on the event page."""
    preview_url = importer.start(EVENTBRITE.read_bytes())
    response = importer.confirm(preview_url)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/events/{importer.slug}"
    assert "Imported 228 guests." in readable(importer.client.get(response.headers["Location"]))
    assert count(app) == 228 and count(app, Ticket) == 228


def test_confirm_uses_the_mapping_it_is_sent(app, importer):
    """The confirm POST's mapping is the one imported: status as extra imports all 240."""
    preview_url = importer.start(EVENTBRITE.read_bytes())
    assert importer.confirm(preview_url, {"column-9": "extra"}).status_code == 303
    assert count(app) == 240


def test_the_preview_offers_to_keep_the_other_columns_unticked(app, importer):
    """The preview names the columns it would not store, in a box left unticked; the page and
    its htmx fragment show the same box."""
    preview_url = importer.start(EVENTBRITE.read_bytes())
    for reply in (importer.client.get(preview_url), importer.post(preview_url, headers=HTMX)):
        text = readable(reply)
        assert (
            "Keep the other columns (6): Order #, Order Date, Quantity, Ticket Type, Barcode #, "
            "Attendee Status" in text
        )
        assert re.search(
            r'<input type="checkbox" id="keep-extra" name="keep_extra" value="1"[^>]*>', reply.text
        )  # noqa: E501
        assert 'name="keep_extra" value="1" aria-describedby="keep-extra-hint">' in reply.text


@pytest.mark.parametrize("ticked, kept", [(False, {}), (True, {"Ticket Type": "Alumni"})])
def test_the_other_columns_are_kept_only_when_ticked(app, importer, ticked, kept):
    """Imported unticked, guests hold no extra; ticked, they keep the other columns."""
    preview_url = importer.start(EVENTBRITE.read_bytes())
    choice = {"keep_extra": "1"} if ticked else {}
    assert importer.confirm(preview_url, choice).status_code == 303
    with app.app_context():
        emilie = db.session.scalar(select(Guest).where(Guest.name == "Émilie Fontaine"))
        assert {k: v for k, v in emilie.extra.items() if k == "Ticket Type"} == kept
        assert bool(emilie.extra) is ticked


def test_double_confirm_imports_once(app, importer):
    """The same token confirmed twice adds the guests once and says so the second time."""
    preview_url = importer.start(PLAIN.read_bytes())
    fingerprint = {"preview": importer.previewed(preview_url)}
    first = importer.post(preview_url + "/confirm", fingerprint)
    second = importer.post(preview_url + "/confirm", fingerprint)
    assert first.status_code == second.status_code == 303
    assert count(app) == 25
    assert "already imported" in readable(importer.client.get(second.headers["Location"]))


def test_racing_confirms_import_once(app, importer):
    """Two confirms of the same token at the same moment (a double tap) import the file once."""
    preview_url = importer.start(EVENTBRITE.read_bytes())
    form = {"csrf_token": importer.token, "preview": importer.previewed(preview_url)}
    browsers = [app.test_client() for _ in range(4)]
    for browser in browsers:
        browser.set_cookie("session", importer.client.get_cookie("session").value)
    barrier = threading.Barrier(len(browsers))

    def confirm(browser):
        barrier.wait()
        return browser.post(preview_url + "/confirm", data=form).status_code

    with ThreadPoolExecutor(len(browsers)) as pool:
        statuses = list(pool.map(confirm, browsers))
    assert statuses == [303] * len(browsers)
    assert count(app) == 228 and count(app, Ticket) == 228


def test_two_uploads_of_one_file_confirmed_at_once_add_each_guest_once(app, importer):
    """Two tabs, two tokens, one file, confirmed together: the second finds them all there."""
    urls = [importer.start(PLAIN.read_bytes()) for _ in range(2)]
    fingerprints = [importer.previewed(url) for url in urls]  # both previews: 25 to import
    browsers = [app.test_client() for _ in urls]
    for browser in browsers:
        browser.set_cookie("session", importer.client.get_cookie("session").value)
    barrier = threading.Barrier(len(browsers))

    def confirm(browser, url, fingerprint):
        barrier.wait()
        form = {"csrf_token": importer.token, "preview": fingerprint}
        return browser.post(url + "/confirm", data=form).status_code

    with ThreadPoolExecutor(len(browsers)) as pool:
        statuses = sorted(pool.map(confirm, browsers, urls, fingerprints))
    assert statuses == [303, 422]  # the later one has no one new to import
    assert count(app) == 25


def test_the_uploaded_file_is_deleted_after_the_import(app, importer):
    """Once imported, the kept copy of the file is gone; only a small marker remains."""
    importer.confirm(importer.start(PLAIN.read_bytes()))
    assert kept_files(app) == []
    with app.app_context():
        marker = db.session.scalars(select(GuestImport)).one()
        assert marker.imported == 25 and "@" not in marker.filename


def test_a_second_upload_of_the_same_file_reports_everyone_as_already_there(app, importer):
    """Importing a file twice never duplicates people; the preview says why."""
    importer.confirm(importer.start(PLAIN.read_bytes()))
    page = readable(importer.client.get(importer.start(PLAIN.read_bytes())))
    assert "0 to import" in page and "25 duplicates" in page
    assert "Already on the guest list (same email)." in page
    response = importer.post(importer.start(PLAIN.read_bytes()) + "/confirm")
    assert response.status_code == 422 and "There is no one new to import" in readable(response)
    assert count(app) == 25


def test_a_mapping_problem_refuses_to_confirm(app, importer):
    """Two columns mapped to Email: the confirm re-renders the preview with the reason, 422."""
    preview_url = importer.start(PLAIN.read_bytes())
    response = importer.post(preview_url + "/confirm", {"column-0": "email", "column-1": "email"})
    assert response.status_code == 422
    assert "Only one column can be Email" in readable(response)
    assert count(app) == 0
    assert importer.confirm(preview_url).status_code == 303  # the file is still there


# The confirm writes what the preview showed, or nothing


CHANGED = "Nothing was imported: the columns or the guest list changed since this preview."


def test_a_confirm_without_the_previews_fingerprint_imports_nothing(app, importer):
    """A bare POST to confirm (no preview seen) is refused with a fresh preview to check."""
    preview_url = importer.start(PLAIN.read_bytes())
    response = importer.post(preview_url + "/confirm")
    assert response.status_code == 422 and CHANGED in readable(response)
    assert "Import 25 guests" in readable(response) and count(app) == 0
    assert importer.confirm(preview_url).status_code == 303 and count(app) == 25


def test_a_mapping_changed_after_the_preview_imports_nothing(app, importer):
    """Previewed 228; a confirm sent with status as extra (240) is refused and re-previewed."""
    preview_url = importer.start(EVENTBRITE.read_bytes())
    shown = importer.previewed(preview_url)
    response = importer.post(preview_url + "/confirm", {"column-9": "extra", "preview": shown})
    assert response.status_code == 422 and CHANGED in readable(response)
    assert "Import 240 guests" in readable(response) and count(app) == 0
    assert '<option value="extra" selected>' in response.get_data(as_text=True)


def test_guests_added_after_the_preview_make_the_confirm_refuse(app, importer, make_guest):
    """Someone added by hand meanwhile (email in another case): the old preview's 25 is stale."""
    preview_url = importer.start(PLAIN.read_bytes())
    shown = importer.previewed(preview_url)
    make_guest(importer.slug, "Gökhan Smith", email="Gokhan.Smith67@Example.ORG")
    response = importer.post(preview_url + "/confirm", {"preview": shown})
    page = readable(response)
    assert response.status_code == 422 and CHANGED in page
    assert "24 to import" in page and "1 duplicate " in page
    assert "Already on the guest list (same email)." in page and count(app) == 1
    assert importer.confirm(preview_url).status_code == 303 and count(app) == 25


def test_the_kept_file_changed_after_the_preview_imports_nothing(app, importer):
    """Even if the server's copy of the file were swapped, the confirm writes nothing."""
    preview_url = importer.start(PLAIN.read_bytes())
    shown = importer.previewed(preview_url)
    with app.app_context():
        db.session.execute(update(GuestImport).values(data=b"name,email\nMallory,m@example.org\n"))
        db.session.commit()
    response = importer.post(preview_url + "/confirm", {"preview": shown})
    assert response.status_code == 422 and CHANGED in readable(response)
    assert "Mallory" in readable(response) and count(app) == 0


def test_another_upload_meanwhile_does_not_change_what_a_token_imports(app, importer):
    """Each upload keeps its own file: confirming the first imports the first file's guests."""
    first = importer.start(PLAIN.read_bytes())
    importer.start(b"name,email\nMallory,mallory@example.org\n")
    assert importer.confirm(first).status_code == 303
    with app.app_context():
        names = set(db.session.scalars(select(Guest.name)))
    assert len(names) == 25 and "Mallory" not in names


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04" + bytes(100), "This looks like an Excel file (.xlsx), not a CSV."),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "This is an image (PNG), not a CSV."),
        (b"name\n" + b"Guest\n" * 50_001, "more than 50,000 guests"),
        (b'name,email\n"Ada,ada@example.org\nBob,bob@example.org\n', 'A quote (") in row 2'),
        (b"\x1f\x8b\x08\x00" + bytes(300), "compressed file (gzip)"),
        (bytes(range(32)) * 50, "binary data"),
    ],
)
def test_a_bad_file_is_explained_and_changes_nothing(app, importer, data, message):
    """Unreadable uploads re-render the form with a clear message, 422, and keep nothing."""
    response = importer.upload(data)
    assert response.status_code == 422 and message in readable(response)
    assert count(app) == 0
    assert kept_files(app) == []


def test_no_file_chosen_is_a_form_error(importer):
    """Submitting the form without a file asks for one."""
    response = importer.post(f"/events/{importer.slug}/import")
    assert response.status_code == 422 and "Choose a CSV file." in readable(response)


def test_an_oversized_upload_gets_the_413_page(app, importer):
    """Over MAX_CONTENT_LENGTH (10 MB) the upload is refused before it is read, saying why."""
    response = importer.upload(b"name\n" + b"x" * (11 * 1024 * 1024))
    page = readable(response)
    assert response.status_code == 413 and "File too large" in page
    assert "The file is over 10 MB, so it was not read and nothing was imported." in page
    assert f'href="/events/{importer.slug}/import">Choose another file' in response.get_data(
        as_text=True
    )
    assert count(app) == 0
    assert kept_files(app) == []


@pytest.mark.parametrize(
    "data, report",
    [
        (b"name,email\rAda,ada@example.org\rBob,bob@example.org\r", "2 to import"),
        (b"name,email\r\nAda,ada@example.org\nBob,bob@example.org\r", "2 to import"),
        ("Name;Email\nZoë;zoe@example.org\n".encode("cp1252"), "cp1252 · semicolon-separated"),
        ("Name\tEmail\nZoë\tzoe@example.org\n".encode("utf-16"), "utf-16 (with BOM) · tab"),
        (b"name,email\nAda\x00,ada@example.org\n", "Removed 1 invisible control character"),
        (b"Ada,ada@example.org\nBob,bob@example.org\n", "The first row looks like a guest"),
        (b"name,name\nAda,Ada\n", "Two columns are called \u201cname\u201d"),
        (b"name,email\nAda,ada@example.org,2009\n", "Row 2 This row has 3 cells"),
        (b"name,email\nAda,not-an-email\n", "Row 2 Email \u201cnot-an-email\u201d is not valid"),
        (b"name,email\nAda,a@example.org\nAda L,A@EXAMPLE.ORG\n", "Row 3 Same email as row 2."),
    ],
)
def test_hostile_but_readable_files_preview_clearly_and_write_nothing(app, importer, data, report):
    """Odd line ends, encodings, NULs, no header, ragged or bad rows: a preview that says so."""
    response = importer.client.get(importer.start(data))
    assert response.status_code == 200 and report in readable(response)
    assert count(app) == 0


def test_markup_and_formulas_in_cells_are_shown_inert(importer):
    """Names with script tags, htmx attributes or formulas are escaped text in the preview."""
    data = (
        b"name,email\n"
        b'"<script>alert(1)</script>",a@example.org\n'
        b'"<b hx-get=""/events"" hx-trigger=""load"">Bob</b>",b@example.org\n'
        b'"=HYPERLINK(""http://evil.example"",""Click"")",c@example.org\n'
    )
    html = importer.client.get(importer.start(data)).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'hx-get="/events"' not in html and "hx-get=&#34;/events&#34;" in html
    assert "=HYPERLINK(&#34;http://evil.example&#34;,&#34;Click&#34;)" in html
    assert '<a href="http://evil.example"' not in html


def test_another_organizer_cannot_see_or_use_your_import(app, importer, rival):
    """Someone else's event is 404, and so is your token on their own event."""
    preview_url = importer.start(PLAIN.read_bytes())
    token = preview_url.rsplit("/", 1)[1]
    seen = {"preview": importer.previewed(preview_url)}
    assert rival.client.get(preview_url).status_code == 404
    assert rival.post(preview_url + "/confirm", seen).status_code == 404
    assert rival.upload(PLAIN.read_bytes(), slug=importer.slug).status_code == 404
    theirs = f"/events/{rival.slug}/import/{token}"
    assert rival.client.get(theirs).status_code == 404
    assert rival.post(theirs + "/confirm", seen).status_code == 404
    assert count(app) == 0
    assert importer.client.get(preview_url).status_code == 200


@pytest.mark.parametrize("token", ["nope", "../../secret_key", "A" * 32, "a" * 300])
def test_unknown_or_malformed_tokens_are_404(importer, token):
    """Made-up tokens find nothing, and never reach outside the imports folder."""
    assert importer.client.get(f"/events/{importer.slug}/import/{token}").status_code == 404
    assert importer.post(f"/events/{importer.slug}/import/{token}/confirm").status_code == 404


def test_twenty_thousand_rows_preview_briefly_and_import_in_one_go(app, importer):
    """20,000 rows, 400 bad emails: a bounded page listing 200 of them; 19,600 confirmed."""
    lines = [b"name,email"] + [
        b"Guest %d,%s" % (i, b"broken" if i % 50 == 0 else b"g%d@example.org" % i)
        for i in range(20_000)
    ]
    preview_url = importer.start(b"\n".join(lines))
    started = time.perf_counter()
    response = importer.client.get(preview_url)
    page = readable(response)
    assert time.perf_counter() - started < 10
    assert "19,600 to import" in page and "400 with errors" in page
    assert "20,000 rows" in page and "Import 19,600 guests" in page
    assert "Rows with errors (400)" in page and "… and 200 more." in page
    assert len(response.get_data()) < 250_000
    assert importer.confirm(preview_url).status_code == 303
    assert count(app) == 19_600 and count(app, Ticket) == 19_600


def test_a_token_on_another_of_your_events_is_404(app, importer, make_event):
    """A token belongs to the event it was uploaded for."""
    preview_url = importer.start(PLAIN.read_bytes())
    other = make_event("Spring Gala")
    token = preview_url.rsplit("/", 1)[1]
    assert importer.client.get(f"/events/{other}/import/{token}").status_code == 404


def test_expired_imports_are_purged(app, importer):
    """After a day the kept file is deleted and its token stops working."""
    preview_url = importer.start(PLAIN.read_bytes())
    with app.app_context():
        assert storage.purge(utcnow() + timedelta(days=2)) == 1
    assert importer.client.get(preview_url).status_code == 404
    assert count(app, GuestImport) == 0
