"""Registering again after giving the place back: the registration starts over (a new link,
an email that says so), and confirming goes through place() like anyone's: a free place makes
them a guest again with a new ticket, a full event puts them at the end of the waitlist."""

import re

from sqlalchemy import func, select

from checkin.extensions import db
from checkin.models import Guest, Registration, Ticket
from checkin.registration import cancellations

LINK = re.compile(r"http://127\.0\.0\.1:5000(/e/[a-z0-9-]+/confirm/[A-Za-z0-9_-]+)")


def confirm_by_email(client, message) -> str:
    """Open the emailed link and press Confirm; the page's text."""
    path = LINK.search(message.get_body(("plain",)).get_content()).group(1)
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    return client.post(path, data={"csrf_token": token}).get_data(as_text=True)


def ada_registered_and_cancelled(app, client, slug, filled, inbox) -> int:
    """Ada registers, confirms, then says "I can't come"; her guest id."""
    client.post(f"/e/{slug}/register", data=filled())
    confirm_by_email(client, inbox.to("ada@example.org")[0])
    with app.app_context():
        ada = db.session.scalar(select(Guest).where(Guest.email == "ada@example.org"))
        assert cancellations.cancel(ada)
        return ada.id


def working_tickets(app, guest_id) -> int:
    """How many of the guest's tickets work."""
    with app.app_context():
        return db.session.scalar(
            select(func.count()).where(Ticket.attendee_id == guest_id, Ticket.revoked_at.is_(None))
        )


def test_a_cancelled_guest_registering_again_gets_a_place_and_a_new_ticket(
    app, client, open_event, filled, inbox, smtp_url
):
    """Not "this registration is cancelled": a new link saying they gave their place back,
    then the same guest again (not a second one), with a new ticket emailed."""
    ada = ada_registered_and_cancelled(app, client, open_event, filled, inbox)
    assert working_tickets(app, ada) == 0
    before = len(inbox.to("ada@example.org"))
    answer = client.post(f"/e/{open_event}/register", data=filled(industry="Teaching"))
    assert answer.status_code == 303
    again = inbox.to("ada@example.org")[before]
    assert again["Subject"] == "Confirm your registration for Fall Reunion"
    text = again.get_body(("plain",)).get_content()
    assert "You gave your place at Fall Reunion back earlier" in text
    assert "cancelled" not in text
    with app.app_context():
        row = db.session.scalar(select(Registration))
        assert (row.status, row.answers["industry"]) == ("unconfirmed", "Teaching")
    done = confirm_by_email(client, again)
    assert "your ticket is on its way" in done.lower()
    with app.app_context():
        assert db.session.scalar(select(Registration.status)) == "guest"
        assert db.session.scalar(select(func.count()).select_from(Guest)) == 1
        assert db.session.get(Guest, ada).cancelled_at is None
    assert working_tickets(app, ada) == 1
    assert inbox.to("ada@example.org")[-1]["Subject"] == "Your ticket for Fall Reunion"


def test_registering_again_when_full_joins_the_end_of_the_waitlist(
    app, client, open_event, filled, set_event, inbox, smtp_url
):
    """Her place went to Bob meanwhile: registering again puts Ada on the waitlist, behind
    Cy who waited already; she stays cancelled and gets no ticket."""
    ada = ada_registered_and_cancelled(app, client, open_event, filled, inbox)
    set_event(open_event, capacity=0)
    for name in ("Cy Young",):
        client.post(f"/e/{open_event}/register", data=filled(name=name, email="cy@example.org"))
        confirm_by_email(client, inbox.to("cy@example.org")[0])
    client.post(f"/e/{open_event}/register", data=filled())
    done = confirm_by_email(client, inbox.to("ada@example.org")[-1])
    assert "on the waitlist, number 2" in done
    with app.app_context():
        statuses = dict(db.session.execute(select(Registration.email, Registration.status)).all())
        assert statuses == {"ada@example.org": "waitlisted", "cy@example.org": "waitlisted"}
        assert db.session.get(Guest, ada).cancelled_at is not None
    assert working_tickets(app, ada) == 0


def test_an_old_link_does_not_confirm_the_new_registration(
    app, client, open_event, filled, inbox, smtp_url
):
    """The first confirmation link stays spent: registering again makes a fresh secret."""
    ada_registered_and_cancelled(app, client, open_event, filled, inbox)
    first = LINK.search(inbox.to("ada@example.org")[0].get_body(("plain",)).get_content())
    client.post(f"/e/{open_event}/register", data=filled())
    assert client.get(first.group(1)).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Registration.status)) == "unconfirmed"


def test_registering_again_twice_makes_one_registration(
    app, client, open_event, filled, inbox, smtp_url
):
    """Two submits after cancelling: one row, still unconfirmed, each submit a working link."""
    ada_registered_and_cancelled(app, client, open_event, filled, inbox)
    client.post(f"/e/{open_event}/register", data=filled())
    client.post(f"/e/{open_event}/register", data=filled())
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 1
    assert (
        "your ticket is on its way"
        in confirm_by_email(client, inbox.to("ada@example.org")[-1]).lower()
    )
