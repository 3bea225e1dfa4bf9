"""What the association shares among its team: a ticket's QR shows to those who run its events
(not to a viewer, nor to another association), and an unsubscribe holds across its events."""

from sqlalchemy import select

from checkin.accounts import users
from checkin.events import events
from checkin.extensions import db
from checkin.mail import subscriptions
from checkin.models import Association, Event, Guest

QR = "Ticket QR code for"


def test_a_tickets_qr_shows_to_the_teams_organizers_only(two_teams, signed_in_as):
    """Olga and Otto see the QR of an Alpha guest's ticket; Vera (viewer) and Bea do not."""
    path = f"/t/{two_teams['a']['code']}"
    for email, shown in [
        ("olga@example.org", True),
        ("otto@example.org", True),
        ("vera@example.org", False),
        ("bea@example.org", False),
    ]:
        client, _ = signed_in_as(email)
        page = client.get(path)
        assert page.status_code == 200 and (QR in page.get_data(as_text=True)) is shown, email


def test_an_unsubscribe_holds_across_the_associations_events(app, two_teams, make_guest):
    """Ada unsubscribes at Alpha: the event Otto made in Olga's association is covered, Bea's
    association is not."""
    with app.app_context():
        otto = users.find_by_email("otto@example.org")
        association = db.session.get(Association, two_teams["a"]["association_id"])
        start = db.session.scalar(select(Guest).where(Guest.id == two_teams["a"]["attendee_id"]))
        later = events.create_event(
            otto, "Winter Gala", "", start.event.starts_at, start.event.ends_at, "UTC",
            association=association,
        )  # fmt: skip
        later_slug = later.slug
    ids = {
        slug: make_guest(slug, "Ada Lovelace", email="ada@example.org")[0]
        for slug in (two_teams["a"]["slug"], later_slug, two_teams["b"]["slug"])
    }
    with app.app_context():
        subscriptions.unsubscribe(db.session.get(Guest, ids[two_teams["a"]["slug"]]))
        state = {s: subscriptions.is_unsubscribed(db.session.get(Guest, i)) for s, i in ids.items()}
    assert state == {two_teams["a"]["slug"]: True, later_slug: True, two_teams["b"]["slug"]: False}


def test_an_event_goes_into_the_association_chosen(app, two_teams, signed_in_as):
    """Bea, also organizer on Olga's team, picks Olga's association on the new-event form; a
    viewer's association is not offered, and forcing it is refused with 422."""
    from .conftest import join

    with app.app_context():
        join(two_teams["a"]["association_id"], "bea@example.org", "organizer")
        join(two_teams["b"]["association_id"], "vera@example.org", "viewer")
    client, token = signed_in_as("bea@example.org")
    page = client.get("/events/new").get_data(as_text=True)
    assert "olga@example.org&#39;s events" in page and "bea@example.org&#39;s events" in page
    data = {
        "csrf_token": token, "name": "Spring Mixer", "venue": "", "timezone": "UTC",
        "starts_at": "2030-04-01T18:00", "ends_at": "2030-04-01T22:00",
        "association": str(two_teams["a"]["association_id"]),
    }  # fmt: skip
    assert client.post("/events/new", data=data).status_code == 302
    with app.app_context():
        made = db.session.scalar(select(Event).where(Event.name == "Spring Mixer"))
        assert made.association_id == two_teams["a"]["association_id"]
        assert made.organizer.email == "bea@example.org"  # who created it
    vera, vera_token = signed_in_as("vera@example.org")
    assert "bea@example.org&#39;s events" not in vera.get("/events/new").get_data(as_text=True)
    forced = {
        **data,
        "csrf_token": vera_token,
        "association": str(two_teams["b"]["association_id"]),
    }
    assert vera.post("/events/new", data=forced).status_code == 422
