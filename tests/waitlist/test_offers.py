"""A freed place goes to the waitlist in order, by email, with a deadline to accept.

The emails go to a real SMTP server on loopback (the inbox fixture); time moves by injecting
`now` or by moving offer_expires_at into the past, never by sleeping.
"""

import re
from datetime import timedelta

from conftest import csrf_token
from sqlalchemy import select, update

from checkin.extensions import db
from checkin.models import Event, Guest, Registration, Ticket, utcnow
from checkin.registration import approvals, cancellations, organizer_settings, waitlist

from .conftest import registration_row

NAMES = ("Ada", "Bo", "Cy", "Di", "Ed")


def fill(waitlist_event, waitlist_signup) -> list[int]:
    """Five confirm for three places; their registration ids in order."""
    return [waitlist_signup(waitlist_event, name)[0] for name in NAMES]


def cancel_guest(app, registration_id, now=None) -> None:
    """The registration's guest says "I can't come after all"."""
    with app.app_context():
        guest = db.session.get(Registration, registration_id).guest
        assert cancellations.cancel(guest, now or utcnow())


def offers_to(inbox, address) -> list:
    """The offer emails that reached this address."""
    return [
        m
        for m in inbox.messages
        if m["To"].addresses[0].addr_spec == address and "is yours" in m["Subject"]
    ]


def accept_link(message) -> str:
    """The accept link in an offer email's text, as a path."""
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:5000(/e/\S+/offer/\S+)", text).group(1)


def expire(app, registration_id) -> None:
    """Move the offer's deadline a minute into the past."""
    with app.app_context():
        db.session.execute(
            update(Registration)
            .where(Registration.id == registration_id)
            .values(offer_expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()


def test_a_cancelled_place_is_offered_accepted_and_becomes_a_guest(
    app, client, waitlist_event, waitlist_signup, inbox, smtp_url
):
    """One guest cancels; the first waitlisted gets the offer by email, opens the link (GET
    changes nothing), accepts (POST) and is a guest with a ticket email; the second still waits."""
    ids = fill(waitlist_event, waitlist_signup)
    cancel_guest(app, ids[0])
    assert registration_row(app, ids[3]).status == "offered"
    assert registration_row(app, ids[4]).status == "waitlisted"
    (offer,) = offers_to(inbox, "di@example.org")
    assert offers_to(inbox, "ed@example.org") == []
    link = accept_link(offer)

    page = client.get(link)
    assert page.status_code == 200 and "Accept my place" in page.get_data(as_text=True)
    assert registration_row(app, ids[3]).status == "offered"

    token = csrf_token(client, link)
    accepted = client.post(link, data={"csrf_token": token})
    assert accepted.status_code == 200 and "You're in" in accepted.get_data(as_text=True)
    row = registration_row(app, ids[3])
    assert row.status == "guest" and row.attendee_id is not None
    tickets_sent = [m for m in inbox.messages if m["Subject"].startswith("Your ticket")]
    assert [m["To"].addresses[0].addr_spec for m in tickets_sent] == ["di@example.org"]

    again = client.post(link, data={"csrf_token": token})  # a double submit
    assert again.status_code == 200 and "You're in" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Guest)) == 4
    assert len([m for m in inbox.messages if m["Subject"].startswith("Your ticket")]) == 1


def test_a_late_acceptance_is_refused_politely_and_the_offer_moves_on(
    app, client, waitlist_event, waitlist_signup, inbox, smtp_url
):
    """Accepting after the deadline: "the offer ended at …", no guest made, and the next person
    on the waitlist is offered the place by email."""
    ids = fill(waitlist_event, waitlist_signup)
    cancel_guest(app, ids[0])
    link = accept_link(offers_to(inbox, "di@example.org")[0])
    expire(app, ids[3])

    shown = client.get(link)
    assert "this offer has ended" in shown.get_data(as_text=True)
    late = client.post(link, data={"csrf_token": csrf_token(client, link)})
    page = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "The offer ended at" in page and "went to the next person" in page
    assert registration_row(app, ids[3]).status == "lapsed"
    assert registration_row(app, ids[3]).attendee_id is None
    assert registration_row(app, ids[4]).status == "offered"
    assert len(offers_to(inbox, "ed@example.org")) == 1


def test_the_periodic_sweep_lapses_overdue_offers_once(
    app, waitlist_event, waitlist_signup, inbox, smtp_url
):
    """Overdue offers lapse and the place goes on; a second sweep finds nothing to do."""
    ids = fill(waitlist_event, waitlist_signup)
    cancel_guest(app, ids[0])
    later = registration_row(app, ids[3]).offer_expires_at + timedelta(seconds=1)
    with app.app_context():
        assert waitlist.lapse_due(later) == 1
        assert waitlist.lapse_due(later) == 0
    assert registration_row(app, ids[3]).status == "lapsed"
    assert registration_row(app, ids[4]).status == "offered"
    assert len(offers_to(inbox, "ed@example.org")) == 1


def test_an_offer_still_open_is_not_lapsed(app, waitlist_event, waitlist_signup):
    """A sweep before the deadline leaves the offer alone."""
    ids = fill(waitlist_event, waitlist_signup)
    cancel_guest(app, ids[0])
    with app.app_context():
        assert waitlist.lapse_due(utcnow()) == 0
    assert registration_row(app, ids[3]).status == "offered"


def test_an_offer_never_runs_past_the_start(app, waitlist_event, waitlist_signup):
    """Offer hours that reach past the start end at the start; once started, nothing is offered."""
    ids = fill(waitlist_event, waitlist_signup)
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == waitlist_event))
        near_start = event.starts_at - timedelta(hours=2)
        starts_at = event.starts_at
    cancel_guest(app, ids[0], near_start)
    assert registration_row(app, ids[3]).offer_expires_at == starts_at
    cancel_guest(app, ids[1], starts_at + timedelta(minutes=5))
    assert registration_row(app, ids[4]).status == "waitlisted"


def test_a_newcomer_goes_behind_the_waitlist(app, waitlist_event, waitlist_signup):
    """With an offer open and people waiting, someone confirming now waits too."""
    ids = fill(waitlist_event, waitlist_signup)
    cancel_guest(app, ids[0])
    _, result = waitlist_signup(waitlist_event, "Fay")
    assert result == "waitlisted"
    assert registration_row(app, ids[3]).status == "offered"


def test_cancelling_revokes_the_ticket_and_cancels_the_registration(
    app, waitlist_event, waitlist_signup
):
    """The guest's ticket stops working and their registration is cancelled; twice is a no-op."""
    ids = fill(waitlist_event, waitlist_signup)
    cancel_guest(app, ids[0])
    row = registration_row(app, ids[0])
    assert row.status == "cancelled"
    with app.app_context():
        guest = db.session.get(Guest, row.attendee_id)
        assert guest.cancelled_at is not None
        live = select(Ticket).where(Ticket.attendee_id == guest.id, Ticket.revoked_at.is_(None))
        assert db.session.scalars(live).all() == []
        assert cancellations.cancel(guest) is False
    assert registration_row(app, ids[4]).status == "waitlisted"  # one place, one offer


def test_an_imported_guest_cancelling_frees_a_place(
    app, waitlist_event, waitlist_signup, make_guest
):
    """A guest from the imported list gives their place back: the first waitlisted is offered it."""
    imported = [make_guest(waitlist_event, name=f"Imported {i}")[0] for i in range(3)]
    waiting_id, result = waitlist_signup(waitlist_event, "Ada")
    assert result == "waitlisted"
    with app.app_context():
        assert cancellations.cancel(db.session.get(Guest, imported[0]))
    assert registration_row(app, waiting_id).status == "offered"


def test_raising_the_capacity_offers_the_new_places(app, waitlist_event, waitlist_signup):
    """From 3 to 4 places: the first waitlisted is offered one, the second still waits."""
    ids = fill(waitlist_event, waitlist_signup)
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == waitlist_event))
        values = organizer_settings.form_values(event) | {"capacity": 4}
        assert organizer_settings.save(event, values, {}) == [ids[3]]
    assert registration_row(app, ids[4]).status == "waitlisted"


def test_approving_places_and_declining_emails_sorry(
    app, waitlist_event, waitlist_signup, inbox, smtp_url
):
    """Approval by hand: approve makes a guest (ticket emailed), decline says sorry by email;
    each twice changes nothing more."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == waitlist_event))
        event.approval_required = True
        db.session.commit()
    yes_id, _ = waitlist_signup(waitlist_event, "Ada")
    no_id, _ = waitlist_signup(waitlist_event, "Bo")
    with app.app_context():
        yes, no = db.session.get(Registration, yes_id), db.session.get(Registration, no_id)
        assert approvals.approve(yes) == "guest"
        assert approvals.approve(yes) == "guest"
        assert approvals.decline(no) is True
        assert approvals.decline(no) is False
    subjects = sorted((m["To"].addresses[0].addr_spec, m["Subject"]) for m in inbox.messages)
    assert subjects == [
        ("ada@example.org", "Your ticket for Spring Gala"),
        ("bo@example.org", "Your registration for Spring Gala"),
    ]


def test_an_unknown_offer_link_is_not_found(client, waitlist_event):
    """A made-up token is a 404, for GET and POST."""
    assert client.get(f"/e/{waitlist_event}/offer/NOTATOKEN").status_code == 404


def test_a_guest_who_cancelled_gets_no_ticket_email(
    app, waitlist_event, waitlist_signup, inbox, smtp_url
):
    """ "Send tickets" leaves out a guest who gave their place back; a ticket queued before
    they cancelled is skipped with the reason, and no new ticket is issued to them."""
    from checkin.mail import ticket_mail
    from checkin.models import Outbox

    ada, bo = (waitlist_signup(waitlist_event, n)[0] for n in ("Ada", "Bo"))
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == waitlist_event))
        bo_guest = db.session.get(Registration, bo).attendee_id
        assert ticket_mail.queue(event, [bo_guest], again=False, batch="before") == [bo_guest]
    cancel_guest(app, ada)
    cancel_guest(app, bo)
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == waitlist_event))
        assert ticket_mail.queue(event, None, again=True, batch="after") == []
        ticket_mail.deliver(event.id, [bo_guest])
        row = db.session.scalar(select(Outbox).where(Outbox.attendee_id == bo_guest))
        assert (row.status, row.reason) == ("skipped", "The guest gave their place back.")
        live = select(Ticket).where(Ticket.attendee_id == bo_guest, Ticket.revoked_at.is_(None))
        assert db.session.scalars(live).all() == []
    assert inbox.messages == []


def test_a_guest_the_organizer_deletes_frees_a_place_at_the_next_sweep(
    app, waitlist_event, waitlist_signup
):
    """Deleting a guest deletes their registration too and frees their place; the minute's
    sweep offers it on."""
    from checkin.privacy import erase

    ids = fill(waitlist_event, waitlist_signup)
    with app.app_context():
        erase.erase(db.session.get(Registration, ids[0]).guest, "organizer")
        assert db.session.get(Registration, ids[0]) is None  # their answers go with them
        assert registration_row(app, ids[3]).status == "waitlisted"
        waitlist.lapse_due(utcnow())
    assert registration_row(app, ids[3]).status == "offered"
    assert registration_row(app, ids[4]).status == "waitlisted"


def test_someone_who_cancelled_and_gets_a_place_again_is_back_with_a_new_ticket(
    app, waitlist_event, waitlist_signup, make_guest
):
    """An imported guest cancels, then registers and is given a place: the same guest, no
    longer cancelled, with a working ticket."""
    guest_id, _ = make_guest(waitlist_event, "Ada Lovelace", email="ada@example.org")
    with app.app_context():
        assert cancellations.cancel(db.session.get(Guest, guest_id))
    registration_id, result = waitlist_signup(waitlist_event, "Ada Lovelace", "ada@example.org")
    assert result == "guest" and registration_row(app, registration_id).attendee_id == guest_id
    with app.app_context():
        assert db.session.get(Guest, guest_id).cancelled_at is None
        live = select(Ticket).where(Ticket.attendee_id == guest_id, Ticket.revoked_at.is_(None))
        assert len(db.session.scalars(live).all()) == 1


def test_an_offer_link_opens_only_under_its_own_event(
    app, client, waitlist_event, waitlist_signup, make_event, inbox, smtp_url
):
    """The same token under another event's address is not found, and accepts nothing."""
    ids = fill(waitlist_event, waitlist_signup)
    cancel_guest(app, ids[0])
    link = accept_link(offers_to(inbox, "di@example.org")[0])
    other = make_event("Other Party")
    elsewhere = link.replace(f"/e/{waitlist_event}/", f"/e/{other}/")
    assert client.get(elsewhere).status_code == 404
    token = csrf_token(client, link)
    assert client.post(elsewhere, data={"csrf_token": token}).status_code == 404
    assert registration_row(app, ids[3]).status == "offered"


def test_someone_waitlisted_can_be_told_their_number(
    app, waitlist_event, waitlist_signup, inbox, smtp_url
):
    """tasks.send_waitlisted (for the confirm step): "number 2" for the second in line; a
    registration that no longer waits gets nothing."""
    from checkin import tasks

    ids = fill(waitlist_event, waitlist_signup)
    with app.app_context():
        tasks.send_waitlisted(ids[4])
        tasks.send_waitlisted(ids[0])  # a guest: not waitlisted
    (told,) = inbox.messages
    assert told["To"].addresses[0].addr_spec == "ed@example.org"
    assert told["Subject"] == "You're on the waitlist for Spring Gala"
    assert "the waitlist: number 2." in told.get_body(("plain",)).get_content()
