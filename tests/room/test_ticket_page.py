"""A guest's ticket page: a QR that scans to the ticket's URL, and nothing else personal."""

import re

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select
from support.pages import readable
from support.pdf_qr import qr_in_image

from checkin.events import tickets
from checkin.extensions import db
from checkin.models import Guest


def path_of(url: str) -> str:
    """The path part of an absolute ticket URL, for the test client."""
    return url.replace("http://127.0.0.1:5000", "")


def decode_qr_svg(svg: str, tmp_path) -> str:
    """Draw the SVG's squares at 8 px a module and read them back with zbarimg."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg)[1])
    scale, margin = 8, 32
    image = Image.new("L", (size * scale + 2 * margin,) * 2, 255)
    draw = ImageDraw.Draw(image)
    d = re.search(r'<path d="([^"]+)"', svg)[1]
    for x1, y1, x2, y2 in re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z", d):
        left, top, right, bottom = (margin + float(v) * scale for v in (x1, y1, x2, y2))
        draw.rectangle([left, top, right - 1, bottom - 1], fill=0)
    png = tmp_path / "qr.png"
    image.save(png)
    return qr_in_image(png)


@pytest.fixture
def ticket_holder(app, client, make_event, make_guest, sign_in_guest):
    """Ada, with a full profile, and her ticket URL; the client is Ada's own phone, signed in."""
    slug = make_event("Fall Reunion")
    attendee_id, url = make_guest(slug, "Ada Lovelace", 2009, email="ada.private@example.org")
    with app.app_context():
        person = db.session.get(Guest, attendee_id)
        person.major, person.residence_hall = "Mathematics", "Ellis Hall"
        person.clubs, person.industry = "Analytical Engine Society", "Computing Machinery"
        person.interests = "poetical science"
        db.session.commit()
    sign_in_guest(client, attendee_id)
    return {"id": attendee_id, "url": url}


def test_ticket_page_shows_name_year_event_and_qr(client, ticket_holder):
    """The page greets the guest by name and class year, names the event, shows the QR."""
    reply = client.get(path_of(ticket_holder["url"]))
    assert reply.status_code == 200
    assert "Fall Reunion Ada Lovelace \u201909" in readable(reply)
    assert '<svg class="qr" role="img" aria-label="Ticket QR code for Ada Lovelace"' in (
        reply.get_data(as_text=True)
    )


def test_qr_scans_to_the_ticket_url(client, ticket_holder, tmp_path):
    """Decoding the QR gives back exactly the ticket URL, so a phone camera opens the page."""
    html = client.get(path_of(ticket_holder["url"])).get_data(as_text=True)
    svg = re.search(r'<svg class="qr".*?</svg>', html, re.S)[0]
    assert decode_qr_svg(svg, tmp_path) == ticket_holder["url"]


@pytest.mark.parametrize(
    "private",
    [
        "ada.private@example.org",
        "Mathematics",
        "Ellis Hall",
        "Analytical Engine Society",
        "Computing Machinery",
        "poetical science",
    ],
)
def test_ticket_page_shows_nothing_else_personal(client, ticket_holder, private):
    """Email and profile stay off the page: anyone holding the link could see it."""
    assert private not in client.get(path_of(ticket_holder["url"])).get_data(as_text=True)


def test_ticket_page_is_not_cached_and_sends_no_referrer_elsewhere(client, ticket_holder):
    """The link is a secret: no caching by shared caches, no Referer to other sites."""
    reply = client.get(path_of(ticket_holder["url"]))
    assert reply.headers["Cache-Control"] == "no-store"
    # same-origin: other sites get no Referer; this one does, for the card form a fellow guest
    # posts from this page (Flask-WTF checks it over https).
    assert reply.headers["Referrer-Policy"] == "same-origin"


def test_lowercase_code_still_opens_the_ticket(client, ticket_holder):
    """A code retyped in lower case still works (codes are base32)."""
    code = ticket_holder["url"].rsplit("/", 1)[-1]
    assert client.get(f"/t/{code.lower()}").status_code == 200


@pytest.mark.parametrize("code", ["A" * 32, "short", "A" * 600, "<script>", "%00" * 5])
def test_unknown_codes_are_not_found(client, ticket_holder, code):
    """Anything that is not a ticket answers 404 with a plain explanation."""
    reply = client.get(f"/t/{code}")
    assert reply.status_code == 404
    assert "No ticket has this code." in readable(reply)


def test_replaced_ticket_has_no_qr(app, client, ticket_holder):
    """After a reissue the old link says so and shows no QR to scan."""
    with app.app_context():
        tickets.issue(db.session.get(Guest, ticket_holder["id"]))
        db.session.commit()
    reply = client.get(path_of(ticket_holder["url"]))
    assert "This ticket was replaced by a newer one." in readable(reply)
    assert 'class="qr"' not in reply.get_data(as_text=True)


def test_a_stranger_sees_the_name_and_no_qr(app, ticket_holder):
    """Someone not signed in (a badge scanned with a camera app) sees the name and a sign-in
    prompt: the QR and the profile stay with its holder."""
    reply = app.test_client().get(path_of(ticket_holder["url"]))
    assert reply.status_code == 200
    assert "Ada Lovelace" in readable(reply) and "personal link" in readable(reply)
    assert 'class="qr"' not in reply.get_data(as_text=True)


def test_the_events_organizer_sees_the_qr(app, ticket_holder, sign_in):
    """The organizer opens a guest's ticket from the guest list to show or print it."""
    organizer = app.test_client()
    sign_in(test_client=organizer)
    html = organizer.get(path_of(ticket_holder["url"])).get_data(as_text=True)
    assert '<svg class="qr" role="img" aria-label="Ticket QR code for Ada Lovelace"' in html


def test_another_organizer_sees_no_qr(app, ticket_holder, make_organizer, sign_in):
    """An organizer of other events is a stranger to this ticket."""
    make_organizer("other@example.org")
    other = app.test_client()
    sign_in("other@example.org", test_client=other)
    assert 'class="qr"' not in other.get(path_of(ticket_holder["url"])).get_data(as_text=True)


def test_ticket_of_a_guest_without_a_class_year(app, client, make_event, sign_in_guest):
    """A guest with no class year gets no stray apostrophe."""
    slug = make_event()
    with app.app_context():
        from checkin.models import Event

        event = db.session.scalar(select(Event).where(Event.slug == slug))
        person = Guest(event_id=event.id, name="Walk In")
        db.session.add(person)
        db.session.flush()
        code = tickets.code_of(tickets.issue(person))
        db.session.commit()
        person_id = person.id
    sign_in_guest(client, person_id)
    page = readable(client.get(f"/t/{code}"))
    assert "Walk In Show this code" in page
