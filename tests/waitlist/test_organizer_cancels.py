"""The organizer cancels a guest who phoned to say they can't come: a button on the guest's
page (POST, CSRF, a box to tick) that does what "I can't come" does, and the waitlist's next
person is offered the place by email. A viewer gets 403, another organizer 404."""

import re

import pytest
from conftest import PASSWORD, csrf_token
from sqlalchemy import func, select
from support.pages import readable

from checkin.accounts import users
from checkin.extensions import db
from checkin.models import Event, Guest, Membership, Registration, Ticket


@pytest.fixture
def phoned(app, client, sign_in, waitlist_event, waitlist_signup, make_organizer):
    """Spring Gala (3 places) full with Ada, Bob, Cy; Dee waitlisted. Signed in as organizer;
    returns slug, Ada's guest id, Dee's registration id, the guest page and a CSRF token."""
    for name in ("Ada", "Bob", "Cy"):
        assert waitlist_signup(waitlist_event, name)[1] == "guest"
    dee, status = waitlist_signup(waitlist_event, "Dee")
    assert status == "waitlisted"
    with app.app_context():
        ada = db.session.scalar(select(Guest.id).where(Guest.email == "ada@example.org"))
    sign_in()
    page = f"/events/{waitlist_event}/attendees/{ada}"
    return {
        "slug": waitlist_event,
        "ada": ada,
        "dee": dee,
        "page": page,
        "token": csrf_token(client, page),
    }


def cancel(client, party, **data):
    """Press "Cancel their place" on Ada's page."""
    return client.post(party["page"] + "/cancel", data={"csrf_token": party["token"], **data})


def ada_state(app, party):
    """(Ada cancelled?, her working tickets, Dee's registration status)."""
    with app.app_context():
        ada = db.session.get(Guest, party["ada"])
        working = db.session.scalar(
            select(func.count()).where(Ticket.attendee_id == ada.id, Ticket.revoked_at.is_(None))
        )
        return (
            ada.cancelled_at is not None,
            working,
            db.session.get(Registration, party["dee"]).status,
        )


def test_the_guest_page_has_the_button_as_a_plain_form(client, phoned):
    """A POST form aimed at the cancel route, with a CSRF token and a box to tick."""
    html = client.get(phoned["page"]).get_data(as_text=True)
    form = re.search(r'<form[^>]*id="cancel-guest"[^>]*>.*?</form>', html, re.S).group(0)
    assert 'method="post"' in form and f'action="{phoned["page"]}/cancel"' in form
    assert 'name="csrf_token"' in form and 'name="confirm"' in form
    assert "Cancel their place" in form


def test_cancelling_frees_the_place_and_offers_it_on(app, client, phoned, inbox, smtp_url):
    """Ticked: Ada is cancelled, her ticket stops, Dee is offered the place by email; the
    page then shows Ada as cancelled, without the button."""
    reply = cancel(client, phoned, confirm="y")
    assert reply.status_code == 303 and reply.headers["Location"].endswith(phoned["page"])
    assert ada_state(app, phoned) == (True, 0, "offered")
    [offer] = inbox.to("dee@example.org")
    assert "Spring Gala" in offer["Subject"]
    page = client.get(phoned["page"])
    assert "Cancelled" in readable(page) and 'id="cancel-guest"' not in page.get_data(as_text=True)


def test_without_the_box_ticked_nothing_changes(app, client, phoned):
    """422, the page again with why, and Ada still coming."""
    reply = cancel(client, phoned)
    assert reply.status_code == 422 and "Tick the box to confirm." in readable(reply)
    assert ada_state(app, phoned) == (False, 1, "waitlisted")


def test_twice_is_harmless(app, client, phoned, inbox, smtp_url):
    """A double submit cancels once and offers one place."""
    assert cancel(client, phoned, confirm="y").status_code == 303
    assert cancel(client, phoned, confirm="y").status_code == 303
    assert ada_state(app, phoned) == (True, 0, "offered")
    with app.app_context():
        offered = select(func.count()).where(Registration.status == "offered")
        assert db.session.scalar(offered) == 1
    assert len(inbox.to("dee@example.org")) == 1


def test_no_csrf_token_is_refused(app, client, phoned):
    """Without the token: 400 and nothing changes."""
    reply = client.post(phoned["page"] + "/cancel", data={"confirm": "y"})
    assert reply.status_code == 400
    assert ada_state(app, phoned) == (False, 1, "waitlisted")


def test_a_checked_in_guest_keeps_their_place(app, client, phoned):
    """Already in: 409 with why, nothing changes."""
    with app.app_context():
        ada = db.session.get(Guest, phoned["ada"])
        ada.checked_in_at = ada.created_at
        db.session.commit()
    reply = cancel(client, phoned, confirm="y")
    assert reply.status_code == 409 and "has checked in already" in readable(reply)
    assert ada_state(app, phoned)[0] is False


def test_a_viewer_gets_403_and_another_organizer_404(app, phoned, sign_in):
    """Vera (viewer on the team) is refused; Bea (another association) finds no such guest."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == phoned["slug"]))
        vera = users.create_organizer("vera@example.org", PASSWORD)
        db.session.add(
            Membership(association_id=event.association_id, organizer_id=vera.id, role="viewer")
        )
        users.create_organizer("bea@example.org", PASSWORD)
        db.session.commit()
    for email, code in (("vera@example.org", 403), ("bea@example.org", 404)):
        other = app.test_client()
        sign_in(email=email, test_client=other)
        token = csrf_token(other, "/events")
        reply = other.post(phoned["page"] + "/cancel", data={"csrf_token": token, "confirm": "y"})
        assert reply.status_code == code, email
    assert ada_state(app, phoned) == (False, 1, "waitlisted")
