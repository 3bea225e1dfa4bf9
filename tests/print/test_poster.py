"""The door poster: a one-page PDF on US Letter or A4 whose QR code scans (pdftoppm + zbarimg)
to the event's "send me my ticket again" page under BASE_URL, with the event's name, the
wording and the venue as real text (pdftotext)."""

import pytest
from conftest import REUNION_DAY, csrf_token
from support.pdf_qr import decoded_qr_codes, page_size, pages, text

NAME = "Ó Súilleabháin & Νίκος: Class of ’09 Reunion"
SIZES = {"letter": "612 x 792 pts", "a4": "595.276 x 841.89 pts"}


@pytest.fixture
def greek_event(client, sign_in, make_event):
    """An event with accents and Greek in its name; its organizer signed in."""
    slug = make_event(NAME)
    sign_in()
    csrf_token(client, "/events")
    return slug


@pytest.mark.parametrize("size", SIZES)
def test_the_poster_scans_to_the_link_again_page(app, client, greek_event, size, tmp_path):
    """One page of the chosen size; its single QR code decodes to BASE_URL/e/<slug>/link-again."""
    reply = client.get(f"/events/{greek_event}/poster-{size}.pdf")
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    assert reply.headers["Content-Disposition"] == (
        f"attachment; filename={greek_event}-door-poster-{size}.pdf"
    )
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(reply.data)
    assert pages(pdf) == 1 and SIZES[size] in page_size(pdf)
    decoded = decoded_qr_codes(pdf, tmp_path, dpi=100)
    assert decoded == [f"{app.config['BASE_URL']}/e/{greek_event}/link-again"]


def test_the_poster_says_what_to_do_as_text(client, greek_event, tmp_path):
    """The event's name (accents and Greek intact), the venue, the date, "Have your QR code
    ready" and the email-it-again offer come out of the PDF as text."""
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(client.get(f"/events/{greek_event}/poster-a4.pdf").data)
    words = text(pdf)
    assert NAME in words and "\ufffd" not in words
    assert "Have your QR code ready" in words
    assert "Can’t find your ticket? Scan here and we’ll email it again." in words
    assert (
        "Alumni Hall" in words
        and f"{REUNION_DAY:%A} 26 November {REUNION_DAY.year} · 18:00–23:00" in words
    )


def test_the_link_again_page_it_leads_to_offers_the_email(client, greek_event):
    """What the QR opens is the public page that emails the ticket again
    (tests/accounts/test_personal_links.py shows that email carries the ticket QR and the
    personal link, as the poster promises)."""
    page = client.get(f"/e/{greek_event}/link-again")
    assert page.status_code == 200 and 'name="email"' in page.text


def test_an_unknown_size_is_not_found(client, greek_event):
    """Only the sizes we offer exist."""
    assert client.get(f"/events/{greek_event}/poster-a3.pdf").status_code == 404
