"""The organizer's registrations: the list by status (full page and htmx fragment), waitlist
positions, offers' deadlines, cancellations from both sides, counts on the event page, the CSV,
and another organizer reading none of it."""

import csv
import io
from datetime import timedelta

import pytest
from conftest import PASSWORD
from sqlalchemy import select
from support.pages import HTMX, readable

from checkin.accounts import users
from checkin.extensions import db
from checkin.models import Event, Guest, Registration, utcnow
from checkin.registration import listing

# name, status, minutes ago confirmed (None: not confirmed)
PEOPLE = [
    ("Una Unconfirmed", "unconfirmed", None),
    ("Abe Approval", "approval", 50),
    ("Wes Waitlisted", "waitlisted", 30),  # second in line
    ("Wanda Waitlisted", "waitlisted", 40),  # first in line
    ("Walt Waitlisted", "waitlisted", 20),  # third
    ("Otto Offered", "offered", 60),
    ("Gil Guest", "guest", 70),
    ("Gwen Gone", "guest", 80),  # became a guest, then cancelled
    ('=HYPERLINK("http://x") Cara', "cancelled", 90),  # withdrew before a place
]


@pytest.fixture
def listing_event(app, make_event, make_guest):
    """Fall Reunion, open for registration with 10 places: the PEOPLE above, an imported guest
    who cancelled (Ivy) and one who did not (Ian). Returns the slug."""
    slug = make_event("Fall Reunion")
    ivy, _ = make_guest(slug, "Ivy Imported", email="ivy@example.org")
    make_guest(slug, "Ian Imported", email="ian@example.org")
    now = utcnow()
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        event.registration, event.capacity = "open", 10
        db.session.get(Guest, ivy).cancelled_at = now - timedelta(hours=1)
        for number, (name, status, ago) in enumerate(PEOPLE):
            email = f"person{number}@example.org"
            row = Registration(
                event_id=event.id,
                email=email,
                name=name,
                status=status,
                token_hash=f"{number:064d}",
                created_at=now - timedelta(hours=2),
                confirmed_at=now - timedelta(minutes=ago) if ago else None,
                answers={"class_year": 2000 + number, "industry": "=1+1" if number == 2 else ""},
            )
            if status == "offered":
                row.offered_at, row.offer_expires_at = now, now + timedelta(hours=48)
            if status == "cancelled":
                row.decided_at = now - timedelta(minutes=5)
            if status == "guest":
                person = Guest(event_id=event.id, name=name, email=email, source="registration")
                if name.startswith("Gwen"):
                    person.cancelled_at = now - timedelta(minutes=10)
                db.session.add(person)
                db.session.flush()
                row.attendee_id = person.id
            db.session.add(row)
        db.session.commit()
    return slug


def test_counts_for_the_event_page(app, listing_event):
    """Registered, confirmed, waitlisted, cancelled (from both sides) and places left."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == listing_event))
        found = listing.counts(event)
    assert (found["registered"], found["confirmed"], found["waitlisted"]) == (9, 8, 3)
    assert (found["cancelled"], found["guest"], found["offered"]) == (3, 1, 1)
    assert found["left"] == 10 - 3  # Gil and Ian are guests, Otto's offer holds a place


def test_the_event_page_shows_the_counts(client, sign_in, listing_event):
    """The event page's registrations card, linking to the list and the CSV."""
    sign_in()
    text = readable(client.get(f"/events/{listing_event}"))
    assert "9 registered 8 confirmed 3 waitlisted 3 cancelled 7 places left" in text
    assert "See registrations" in text


def test_the_waitlist_in_order_with_positions_as_page_and_fragment(client, sign_in, listing_event):
    """Waitlisted people by when they confirmed, each with their position; htmx gets the list
    alone, a plain GET the whole page with the filter set."""
    sign_in()
    path = f"/events/{listing_event}/registrations?status=waitlisted"
    fragment = client.get(path, headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'id="registrations"' in body
    text = readable(fragment)
    assert text.index("Wanda") < text.index("Wes") < text.index("Walt")
    assert "Wanda Waitlisted person3@example.org Waitlisted Position 1" in text
    assert "Walt Waitlisted person4@example.org Waitlisted Position 3" in text
    assert "Una" not in text and "Gil" not in text
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Registrations" in readable(page)
    assert '<option value="waitlisted" selected>' in html


@pytest.mark.parametrize(
    ("status", "shown", "hidden"),
    [
        ("cancelled", ["Cara", "Gwen Gone", "Ivy Imported"], ["Gil", "Ian", "Wes"]),
        ("guest", ["Gil Guest"], ["Gwen", "Ian", "Otto"]),
        ("offered", ["Otto Offered", "Until"], ["Gil"]),
        ("unconfirmed", ["Una Unconfirmed", "Registered"], ["Abe"]),
        ("approval", ["Abe Approval"], ["Una"]),
        ("all", ["Una", "Abe", "Wes", "Otto", "Gil", "Gwen", "Cara", "Ivy"], ["Ian"]),
        ("nonsense", ["Una", "Ivy"], []),
    ],
)
def test_each_filter(client, sign_in, listing_event, status, shown, hidden):
    """Each status shows its people only; cancelled ones come from registrations and guests."""
    sign_in()
    text = readable(
        client.get(f"/events/{listing_event}/registrations?status={status}", headers=HTMX)
    )
    for name in shown:
        assert name in text
    for name in hidden:
        assert name not in text


def test_paged(client, sign_in, listing_event, monkeypatch):
    """A page at a time, with a pager whose links keep the filter."""
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)
    sign_in()
    first = client.get(f"/events/{listing_event}/registrations?status=waitlisted").get_data(
        as_text=True
    )
    assert "Page 1 of 2" in first and "status=waitlisted" in first and "page=2" in first
    second = readable(
        client.get(f"/events/{listing_event}/registrations?status=waitlisted&page=2", headers=HTMX)
    )
    assert "Walt" in second and "Wanda" not in second and "Position 3" in second


def test_the_csv_export_is_safe(client, sign_in, listing_event):
    """Everyone with status and times; a cell that starts like a formula is defused."""
    sign_in()
    reply = client.get(f"/events/{listing_event}/registrations.csv")
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    assert "registrations.csv" in reply.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(reply.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == list(listing.CSV_HEADER)
    by_name = {row[0]: row for row in rows[1:]}
    assert len(by_name) == 10
    assert '\'=HYPERLINK("http://x") Cara' in by_name
    assert by_name["Wanda Waitlisted"][2:4] == ["Waitlisted", "1"]
    assert by_name["Ivy Imported"][2] == "Cancelled" and by_name["Ivy Imported"][7]
    assert by_name["Otto Offered"][6]  # the offer's deadline
    assert by_name["Wes Waitlisted"][8:] == ["2002", "industry: =1+1"]
    assert by_name["Una Unconfirmed"][8:] == ["2000", ""]
    assert by_name["Ivy Imported"][8:] == ["2009", ""]  # the guest's own class year


def test_another_organizer_reads_none_of_it(app, client, sign_in, listing_event):
    """B gets 404 for A's list, fragment and CSV; signed out, the list asks to sign in."""
    assert client.get(f"/events/{listing_event}/registrations").status_code == 302
    with app.app_context():
        users.create_organizer("b@example.org", PASSWORD)
    sign_in("b@example.org")
    for path in ("registrations", "registrations?status=all", "registrations.csv"):
        assert client.get(f"/events/{listing_event}/{path}").status_code == 404
        assert client.get(f"/events/{listing_event}/{path}", headers=HTMX).status_code == 404
