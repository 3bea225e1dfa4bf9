"""The public event page, the inline field checks (htmx), the organizer's link, QR and poster,
and the rate limits that fit a shared campus IP."""

import re

import pytest
from conftest import PASSWORD, REUNION_DAY, csrf_token
from support.pages import HTMX
from support.pdf_qr import decoded_qr_codes, pages, text

from checkin.accounts import users
from checkin.events import events
from checkin.extensions import db
from checkin.models import Guest

BASE = "http://127.0.0.1:5000"


def test_the_page_says_what_when_where_and_how_many_places(client, open_event):
    """Name, local date and time, venue with an OpenStreetMap search link, description, places."""
    page = client.get(f"/e/{open_event}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Fall Reunion</h1>" in html
    assert f"{REUNION_DAY:%a} 26 Nov, 18:00–23:00" in html and "America/New_York" in html
    assert 'href="https://www.openstreetmap.org/search?query=Alumni%20Hall"' in html
    assert "Drinks, old friends and new ones." in html
    assert "100 places left" in html


def test_open_graph_and_no_tracking(client, open_event):
    """og:title, og:description and og:url under BASE_URL; every script and style is ours."""
    html = client.get(f"/e/{open_event}").get_data(as_text=True)
    assert '<meta property="og:title" content="Fall Reunion">' in html
    assert f'<meta property="og:url" content="{BASE}/e/{open_event}">' in html
    assert re.search(r'<meta property="og:description" content="[^"]*Alumni Hall', html)
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") or s.startswith(BASE) for s in sources)


def test_a_full_event_shows_the_waitlist(app, client, open_event, set_event, make_guest):
    """No places left: "Waitlist open", and the form still there to join it."""
    set_event(open_event, capacity=1)
    make_guest(open_event)
    html = client.get(f"/e/{open_event}").get_data(as_text=True)
    assert "Waitlist open" in html and "Join the waitlist" in html and 'action="/e/' in html


def test_the_page_works_without_questions(client, open_event, set_event, filled):
    """No profile questions and no capacity: name, email, consents; "Open to all alumni"."""
    set_event(open_event, registration_questions={}, capacity=None)
    html = client.get(f"/e/{open_event}").get_data(as_text=True)
    assert "Open to all alumni" in html and "Class year" not in html
    data = filled()
    del data["class_year"], data["industry"]
    assert client.post(f"/e/{open_event}/register", data=data).status_code == 303


def test_the_consents_are_unticked_with_the_apps_own_words(client, open_event):
    """The three choices, off, explained as on the guest's profile page."""
    html = client.get(f"/e/{open_event}").get_data(as_text=True)
    boxes = re.findall(r'<input[^>]*type="checkbox"[^>]*>', html)
    assert len(boxes) == 3 and not any("checked" in b for b in boxes)
    assert "Let other checked-in guests find me" in html
    assert "Share my contact details with people I connect with" in html
    assert "Send me the next-morning email" in html
    assert "Your email never does." in html


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("email", "not-an-email", "That doesn&#39;t look like an email address."),
        ("class_year", "1850", "A class year between 1900 and"),
        ("name", "", "Please enter your name."),
    ],
)
def test_a_field_is_checked_as_it_is_left(client, open_event, filled, name, value, error):
    """htmx posts the form to the field's check URL: back comes that field alone, with its error."""
    answer = client.post(
        f"/e/{open_event}/register/check/{name}", data=filled(**{name: value}), headers=HTMX
    )
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert html.lstrip().startswith('<div class="field invalid"') and error in html
    assert "<html" not in html and html.count('class="field') == 1


def test_a_good_field_comes_back_clean(client, open_event, filled):
    """A valid value: the field without errors; nothing is saved by a check."""
    answer = client.post(f"/e/{open_event}/register/check/email", data=filled(), headers=HTMX)
    html = answer.get_data(as_text=True)
    assert 'id="email-field"' in html and "errors" not in html
    assert client.post(f"/e/{open_event}/register/check/website", data=filled()).status_code == 404


def test_the_check_needs_csrf(client, open_event, filled):
    """Inline checks are POSTs like any other: no token, 400."""
    data = filled()
    del data["csrf_token"]
    assert client.post(f"/e/{open_event}/register/check/email", data=data).status_code == 400


def test_the_organizer_page_has_the_public_link_and_its_qr(client, open_event, sign_in):
    """The event page: the link, an SVG QR code of it, and the registration poster."""
    sign_in()
    html = client.get(f"/events/{open_event}").get_data(as_text=True)
    assert f'<a href="{BASE}/e/{open_event}">' in html
    assert f'aria-label="QR code for {BASE}/e/{open_event}"' in html
    assert f"/events/{open_event}/register-poster-a4.pdf" in html


def test_registration_off_shows_no_public_card(client, open_event, set_event, sign_in):
    """An event that takes no registrations has no public link to show, nor a poster."""
    set_event(open_event, registration="off")
    sign_in()
    assert "Public page" not in client.get(f"/events/{open_event}").get_data(as_text=True)
    assert client.get(f"/events/{open_event}/register-poster-a4.pdf").status_code == 404


def test_the_registration_poster_scans_to_the_public_page(client, open_event, sign_in, tmp_path):
    """One page whose only QR code opens the public page, saying "Register here"."""
    sign_in()
    reply = client.get(f"/events/{open_event}/register-poster-letter.pdf")
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    assert f"{open_event}-register-poster-letter.pdf" in reply.headers["Content-Disposition"]
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(reply.data)
    assert pages(pdf) == 1
    assert decoded_qr_codes(pdf, tmp_path, dpi=100) == [f"{BASE}/e/{open_event}"]
    assert "Register here" in text(pdf)


def test_another_organizer_cannot_get_the_poster(client, open_event, sign_in, app):
    """Someone else's event is not found, poster included."""
    with app.app_context():
        users.create_organizer("other@example.org", PASSWORD)
    sign_in("other@example.org")
    assert client.get(f"/events/{open_event}/register-poster-a4.pdf").status_code == 404


@pytest.fixture
def limited_event(limited):
    """An event open for registration in the app with rate limits on; returns (app, slug)."""
    with limited.app_context():
        organizer = users.create_organizer("organizer@example.org", PASSWORD)
        from datetime import timedelta

        from conftest import REUNION_START

        event = events.create_event(
            organizer,
            "Fall Reunion",
            "Alumni Hall",
            REUNION_START,
            REUNION_START + timedelta(hours=5),
            "America/New_York",
        )
        event.registration = "open"
        db.session.commit()
        slug = event.slug
    limited.config["REGISTRATION_MIN_SECONDS"] = 0
    return limited, slug


def test_one_address_is_limited_to_five_an_hour(limited_event):
    """The sixth registration for one address within the hour: 429, whoever sends it."""
    app, slug = limited_event
    client = app.test_client()
    token = csrf_token(client, f"/e/{slug}")
    html = client.get(f"/e/{slug}").get_data(as_text=True)
    started = re.search(r'name="started" type="hidden" value="([^"]+)"', html).group(1)
    data = {"csrf_token": token, "started": started, "name": "Ada", "email": "ada@example.org"}
    codes = [client.post(f"/e/{slug}/register", data=data).status_code for _ in range(6)]
    assert codes == [303] * 5 + [429]
    other = {**data, "email": "grace@example.org"}
    assert client.post(f"/e/{slug}/register", data=other).status_code == 303  # same IP: fine
    with app.app_context():
        assert db.session.query(Guest).count() == 0
