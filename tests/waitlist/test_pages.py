"""The pages: the organizer's registration settings (theirs only), approvals, and a guest's
"I can't come after all" with what the door answers afterwards."""

import json
import uuid
from datetime import date, timedelta

import pytest
from conftest import REUNION_DAY, csrf_token
from sqlalchemy import select

from checkin.extensions import db
from checkin.models import Event, Guest

from .conftest import registration_row

DAY_BEFORE = (REUNION_DAY - timedelta(days=1)).isoformat()  # in New York, EST


def spring_forward(year: int) -> date:
    """The second Sunday of March: New York's clocks skip 02:00 to 03:00."""
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


SKIPPED = f"{spring_forward(REUNION_DAY.year).isoformat()}T02:30"

SETTINGS = {
    "capacity": "120",
    "registration_deadline": "",
    "offer_hours": "24",
    "description": "Drinks & <b>talks</b>",
    "ask_class_year": "required",
    "ask_industry": "optional",
}


def stored(app, slug) -> Event:
    """The event as stored now."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        db.session.expunge(event)
        return event


@pytest.fixture
def waitlist_organizer(client, sign_in, waitlist_event):
    """The test client, signed in as the waitlist event's organizer."""
    sign_in()
    return client


def post_settings(client, slug, **changes):
    """Save the settings form with these changes over SETTINGS."""
    path = f"/events/{slug}/registration"
    data = {"csrf_token": csrf_token(client, path), **SETTINGS, **changes}
    return client.post(path, data=data)


def test_the_event_page_links_to_the_registration_settings(waitlist_organizer, waitlist_event):
    """The organizer's event page says where registration stands and links to its settings."""
    page = waitlist_organizer.get(f"/events/{waitlist_event}").get_data(as_text=True)
    assert "Registration is open: people can register now." in page
    assert f"/events/{waitlist_event}/registration" in page


def test_the_organizer_saves_the_settings(app, waitlist_organizer, waitlist_event):
    """Capacity, offer hours, description, questions and a deadline in the venue's time."""
    reply = post_settings(
        waitlist_organizer,
        waitlist_event,
        registration_deadline=f"{DAY_BEFORE}T12:30",
        approval_required="y",
    )
    assert reply.status_code == 302
    event = stored(app, waitlist_event)
    assert event.capacity == 120 and event.offer_hours == 24 and event.approval_required
    assert event.description == "Drinks & <b>talks</b>"
    assert event.registration_questions == {"class_year": "required", "industry": "optional"}
    assert event.registration_deadline.isoformat() == f"{DAY_BEFORE}T17:30:00+00:00"  # EST
    page = waitlist_organizer.get(reply.headers["Location"]).get_data(as_text=True)
    assert "Drinks &amp; &lt;b&gt;talks&lt;/b&gt;" in page
    assert '<option selected value="required">' in page


def test_a_blank_capacity_means_no_limit(app, waitlist_organizer, waitlist_event):
    """Blank capacity is stored as none."""
    assert post_settings(waitlist_organizer, waitlist_event, capacity="").status_code == 302
    assert stored(app, waitlist_event).capacity is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"capacity": "0"}, "From 1 to 100,000, or blank for none."),
        ({"capacity": "lots"}, "Not a valid integer value."),
        ({"offer_hours": "0"}, "From 1 to 720 hours (30 days)."),
        ({"offer_hours": ""}, "Say how many hours, from 1 to 720."),
        ({"registration_deadline": SKIPPED}, "the clocks skip it"),
        ({"registration_deadline": f"{REUNION_DAY.isoformat()}T23:00"}, "before the event ends"),
        ({"ask_class_year": "always"}, "Not a valid choice."),
        ({"description": "x" * 5001}, "At most 5,000 characters."),
    ],
)
def test_bad_settings_are_refused_clearly(
    app, waitlist_organizer, waitlist_event, changes, message
):
    """A bad field: 422, the form again with the reason, nothing saved."""
    reply = post_settings(waitlist_organizer, waitlist_event, **changes)
    assert reply.status_code == 422
    assert message in reply.get_data(as_text=True)
    assert stored(app, waitlist_event).capacity == 3


@pytest.mark.parametrize(("to", "state"), [("paused", "paused"), ("closed", "closed")])
def test_the_organizer_pauses_closes_and_reopens(
    app, waitlist_organizer, waitlist_event, to, state
):
    """The switch's buttons: pause or close, then open again."""
    path = f"/events/{waitlist_event}/registration"
    token = csrf_token(waitlist_organizer, path)
    reply = waitlist_organizer.post(f"{path}/switch", data={"csrf_token": token, "to": to})
    assert reply.status_code == 302 and stored(app, waitlist_event).registration == to
    page = waitlist_organizer.get(path).get_data(as_text=True)
    assert f"Registration is {state}" in page
    waitlist_organizer.post(f"{path}/switch", data={"csrf_token": token, "to": "open"})
    assert stored(app, waitlist_event).registration == "open"


def test_the_switch_refuses_what_it_does_not_know_and_needs_its_token(
    app, waitlist_organizer, waitlist_event
):
    """An unknown state is a 400; a POST without the CSRF token is refused; nothing changes."""
    path = f"/events/{waitlist_event}/registration"
    token = csrf_token(waitlist_organizer, path)
    assert (
        waitlist_organizer.post(
            f"{path}/switch", data={"csrf_token": token, "to": "off"}
        ).status_code
        == 400
    )
    assert waitlist_organizer.post(f"{path}/switch", data={"to": "closed"}).status_code == 400
    assert post_settings(waitlist_organizer, waitlist_event, csrf_token="").status_code == 400
    assert stored(app, waitlist_event).registration == "open"


def test_another_organizer_cannot_see_or_change_the_settings(
    app, client, sign_in, make_organizer, waitlist_event, waitlist_signup
):
    """Bob's session gets 404 on Ada's event's registration pages, and nothing changes."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == waitlist_event))
        event.approval_required = True
        db.session.commit()
    registration_id, _ = waitlist_signup(waitlist_event, "Ada")
    make_organizer("bob@example.org")
    sign_in(email="bob@example.org")
    path = f"/events/{waitlist_event}/registration"
    token = csrf_token(client, "/events")
    assert client.get(path).status_code == 404
    assert client.post(path, data={"csrf_token": token, **SETTINGS}).status_code == 404
    switch = client.post(f"{path}/switch", data={"csrf_token": token, "to": "closed"})
    decide = client.post(
        f"{path}/{registration_id}/decide", data={"csrf_token": token, "decision": "approve"}
    )
    assert switch.status_code == decide.status_code == 404
    assert stored(app, waitlist_event).registration == "open"
    assert registration_row(app, registration_id).status == "approval"


def test_signed_out_visitors_are_sent_to_sign_in(client, waitlist_event):
    """No organizer session: the settings page redirects to sign in."""
    reply = client.get(f"/events/{waitlist_event}/registration")
    assert reply.status_code == 302 and "/sign-in" in reply.headers["Location"]


def test_the_organizer_approves_and_declines_from_the_list(
    app, waitlist_organizer, waitlist_event, waitlist_signup, make_event
):
    """Waiting registrations are listed; Approve makes a guest, Decline declines; a
    registration of another event is not found."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == waitlist_event))
        event.approval_required = True
        db.session.commit()
    yes, _ = waitlist_signup(waitlist_event, "Ada Approved")
    no, _ = waitlist_signup(waitlist_event, "Bo Declined")
    path = f"/events/{waitlist_event}/registration"
    page = waitlist_organizer.get(path).get_data(as_text=True)
    assert "Ada Approved" in page and "Bo Declined" in page
    token = csrf_token(waitlist_organizer, path)
    for registration_id, decision in ((yes, "approve"), (no, "decline"), (yes, "approve")):
        data = {"csrf_token": token, "decision": decision}
        assert (
            waitlist_organizer.post(f"{path}/{registration_id}/decide", data=data).status_code
            == 302
        )
    assert registration_row(app, yes).status == "guest"
    assert registration_row(app, no).status == "declined"
    page = waitlist_organizer.get(path).get_data(as_text=True)
    assert "No one is waiting." in page
    other = make_event("Other Party")
    elsewhere, _ = waitlist_signup(other, "Cy Elsewhere")
    data = {"csrf_token": token, "decision": "approve"}
    assert waitlist_organizer.post(f"{path}/{elsewhere}/decide", data=data).status_code == 404


# "I can't come after all" ----------------------------------------------------------------


@pytest.fixture
def coming_guest(waitlist_event, waitlist_signup, make_pass):
    """Three guests fill the event, one waits; (slug, Ada's registration id, a door token)."""
    ids = [waitlist_signup(waitlist_event, name)[0] for name in ("Ada", "Bo", "Cy", "Di")]
    return waitlist_event, ids, make_pass(waitlist_event)


def check_in(client, slug, token, **scan) -> dict:
    """One check-in on the door API."""
    body = json.dumps({**scan, "nonce": str(uuid.uuid4())})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return client.post(f"/api/v1/events/{slug}/checkins", data=body, headers=headers).get_json()


def test_a_guest_cancels_from_their_home_page(app, client, sign_in_guest, coming_guest, make_guest):
    """Home links to it; GET explains; POST without the tick is 422; with it: cancelled, the
    next person offered the place; a second POST is harmless."""
    slug, ids, _ = coming_guest
    guest_id = registration_row(app, ids[0]).attendee_id
    token = sign_in_guest(client, guest_id)
    assert f"/e/{slug}/cant-come" in client.get(f"/e/{slug}/").get_data(as_text=True)
    page = client.get(f"/e/{slug}/cant-come")
    assert page.status_code == 200 and "Give my place back" in page.get_data(as_text=True)
    unticked = client.post(f"/e/{slug}/cant-come", data={"csrf_token": token})
    assert unticked.status_code == 422 and "Tick the box" in unticked.get_data(as_text=True)
    assert registration_row(app, ids[0]).status == "guest"
    done = client.post(f"/e/{slug}/cant-come", data={"csrf_token": token, "confirm": "y"})
    assert done.status_code == 200 and "Your place is given back" in done.get_data(as_text=True)
    assert registration_row(app, ids[0]).status == "cancelled"
    assert registration_row(app, ids[3]).status == "offered"
    again = client.post(f"/e/{slug}/cant-come", data={"csrf_token": token, "confirm": "y"})
    assert again.status_code == 200
    home = client.get(f"/e/{slug}/").get_data(as_text=True)
    assert "You gave your place back" in home and f"/e/{slug}/cant-come" not in home


def test_the_door_refuses_a_cancelled_guest(app, client, sign_in_guest, coming_guest):
    """After cancelling: the ticket and picking them by id answer "cancelled" (never admitted),
    and the name search and the door's roster leave them out."""
    slug, ids, door_token = coming_guest
    guest_id = registration_row(app, ids[0]).attendee_id
    with app.app_context():
        from checkin.events import tickets

        code = tickets.code_of(tickets.current_ticket(guest_id))
    token = sign_in_guest(client, guest_id)
    client.post(f"/e/{slug}/cant-come", data={"csrf_token": token, "confirm": "y"})
    by_code = check_in(client, slug, door_token, code=code)
    assert by_code["result"] == "cancelled" and by_code["attendee"]["name"] == "Ada"
    assert check_in(client, slug, door_token, attendee_id=guest_id)["result"] == "cancelled"
    with app.app_context():
        from checkin.door import check_in as door

        event_id = db.session.get(Guest, guest_id).event_id
        assert guest_id not in {row["id"] for row in door.roster(event_id)}
        assert door.search(event_id, "Ada") == []


def test_another_events_guest_cannot_cancel_here(
    app, client, sign_in_guest, coming_guest, make_event, make_guest
):
    """A guest of another event gets 404 on this event's page, and no one is cancelled."""
    slug, ids, _ = coming_guest
    other = make_event("Other Party")
    stranger, _ = make_guest(other, "Zed Stranger")
    token = sign_in_guest(client, stranger)
    assert client.get(f"/e/{slug}/cant-come").status_code == 404
    reply = client.post(f"/e/{slug}/cant-come", data={"csrf_token": token, "confirm": "y"})
    assert reply.status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Guest).where(Guest.cancelled_at.is_not(None))).all() == []
