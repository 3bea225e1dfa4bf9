"""Registering on the public page: the form as a plain POST, double opt-in by the emailed link,
the same address twice, and the answers a person sees."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from checkin.extensions import db
from checkin.models import Guest, Outbox, Registration, utcnow
from checkin.registration import confirmation, signup

LINK = re.compile(r"http://127\.0\.0\.1:5000(/e/[a-z0-9-]+/confirm/[A-Za-z0-9_-]+)")


def registrations(app) -> list[Registration]:
    """Every registration in the database."""
    with app.app_context():
        rows = list(db.session.scalars(select(Registration).order_by(Registration.id)))
        db.session.expunge_all()
        return rows


def guests(app) -> int:
    """How many guests there are."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Guest))


def confirm_path(message) -> str:
    """The confirmation link's path in an email."""
    return LINK.search(message.get_body(("plain",)).get_content()).group(1)


def test_registering_saves_it_unconfirmed_and_emails_the_link(
    app, client, open_event, filled, inbox, smtp_url
):
    """A valid form: 303 to "check your email", one unconfirmed row, one email with the link."""
    answer = client.post(f"/e/{open_event}/register", data=filled())
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/e/{open_event}/registered")
    assert "Check your email" in client.get(answer.headers["Location"]).get_data(as_text=True)
    [row] = registrations(app)
    assert (row.status, row.email, row.name) == ("unconfirmed", "ada@example.org", "Ada Lovelace")
    assert row.answers == {"class_year": 2009, "industry": "Computing"}
    assert row.consents == {"findable": True, "share_contact": False, "digest": True}
    assert row.confirmation_sent_at is not None and guests(app) == 0
    [message] = inbox.to("ada@example.org")
    assert message["Subject"] == "Confirm your registration for Fall Reunion"
    assert confirm_path(message) in message.get_body(("html",)).get_content()


def test_the_link_shows_a_button_and_only_a_post_confirms(
    app, client, open_event, filled, inbox, smtp_url
):
    """GET changes nothing; POST makes a guest and sends the ticket, with the .ics."""
    client.post(f"/e/{open_event}/register", data=filled())
    path = confirm_path(inbox.to("ada@example.org")[0])
    page = client.get(path)
    assert page.status_code == 200 and "Confirm your registration" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert registrations(app)[0].status == "unconfirmed" and guests(app) == 0
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    )
    done = client.post(path, data={"csrf_token": token.group(1)})
    assert done.status_code == 200
    assert "your ticket is on its way" in done.get_data(as_text=True).lower()
    [row] = registrations(app)
    assert row.status == "guest" and row.confirmed_at is not None and guests(app) == 1
    ticket = inbox.to("ada@example.org")[-1]
    assert ticket["Subject"] == "Your ticket for Fall Reunion"
    assert any(p.get_filename() == f"{open_event}.ics" for p in ticket.iter_attachments())
    with app.app_context():
        person = db.session.scalar(select(Guest))
        assert (person.class_year, person.industry, person.source) == (
            2009,
            "Computing",
            "registration",
        )
        assert (person.consent_findable, person.consent_share_contact, person.consent_digest) == (
            True,
            False,
            True,
        )


def test_confirming_twice_is_harmless(app, client, open_event, filled, inbox, smtp_url):
    """A second press answers the same and makes no second guest nor ticket email."""
    client.post(f"/e/{open_event}/register", data=filled())
    path = confirm_path(inbox.to("ada@example.org")[0])
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    first = client.post(path, data={"csrf_token": token})
    second = client.post(path, data={"csrf_token": token})
    assert first.status_code == second.status_code == 200
    assert "You\u2019re in" in second.get_data(as_text=True)
    assert guests(app) == 1
    assert len(inbox.to("ada@example.org")) == 2  # the link, then one ticket
    assert "You\u2019re in" in client.get(path).get_data(as_text=True)  # GET: where they stand


def test_a_forged_or_old_link_is_a_clear_404(app, client, open_event, filled, inbox, smtp_url):
    """An unknown token, or one past the seven days, confirms nothing."""
    forged = client.get(f"/e/{open_event}/confirm/not-a-real-token")
    assert forged.status_code == 404
    assert "This link doesn\u2019t work" in forged.get_data(as_text=True)
    client.post(f"/e/{open_event}/register", data=filled())
    path = confirm_path(inbox.to("ada@example.org")[0])
    with app.app_context():
        row = db.session.scalar(select(Registration))
        row.created_at = utcnow() - signup.EXPIRY - timedelta(minutes=1)
        db.session.commit()
    assert client.get(path).status_code == 404
    html = client.get(f"/e/{open_event}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    assert client.post(path, data={"csrf_token": token}).status_code == 404
    assert guests(app) == 0


def test_the_same_address_again_sends_a_new_link_not_a_second_row(
    app, client, open_event, filled, inbox, smtp_url
):
    """Unconfirmed, registering again emails a new link; only the newest one works."""
    client.post(f"/e/{open_event}/register", data=filled())
    again = client.post(f"/e/{open_event}/register", data=filled(email=" ADA@example.org "))
    assert again.status_code == 303
    assert len(registrations(app)) == 1
    first, second = (confirm_path(m) for m in inbox.to("ada@example.org"))
    assert first != second
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200


def test_a_guest_registering_again_gets_the_ticket_again(
    app, client, open_event, filled, make_guest, inbox, smtp_url
):
    """An address already on the guest list (imported): the ticket again, never a second guest."""
    make_guest(open_event, "Ada Lovelace", email="ada@example.org")
    answer = client.post(f"/e/{open_event}/register", data=filled())
    assert answer.status_code == 303
    assert registrations(app) == [] and guests(app) == 1
    [message] = inbox.to("ada@example.org")
    assert message["Subject"] == "Your ticket for Fall Reunion"


def test_waitlisted_someone_registering_again_is_told_where_they_stand(
    app, client, open_event, filled, set_event, inbox, smtp_url
):
    """Full event: confirmed onto the waitlist as number 1; registering again says so by email."""
    set_event(open_event, capacity=0)
    client.post(f"/e/{open_event}/register", data=filled())
    path = confirm_path(inbox.to("ada@example.org")[0])
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    done = client.post(path, data={"csrf_token": token}).get_data(as_text=True)
    assert "on the waitlist, number 1" in done
    client.post(f"/e/{open_event}/register", data=filled())
    last = inbox.to("ada@example.org")[-1]
    assert last["Subject"] == "You're already registered for Fall Reunion"
    assert "waitlist, number 1" in last.get_body(("plain",)).get_content()
    assert len(registrations(app)) == 1 and guests(app) == 0


def test_approval_waits_for_the_organizer(
    app, client, open_event, filled, set_event, inbox, smtp_url
):
    """With approval on, confirming says the organizer will confirm; no guest yet."""
    set_event(open_event, approval_required=True)
    client.post(f"/e/{open_event}/register", data=filled())
    path = confirm_path(inbox.to("ada@example.org")[0])
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    done = client.post(path, data={"csrf_token": token}).get_data(as_text=True)
    assert "the organizer will confirm" in done
    assert registrations(app)[0].status == "approval" and guests(app) == 0


def test_a_dead_mail_server_loses_no_confirmation(app, client, open_event, filled, inbox):
    """The server down: the registration waits unsent; the sweep sends it once the server is up."""
    from support.mailserver import free_port

    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"
    assert client.post(f"/e/{open_event}/register", data=filled()).status_code == 303
    [row] = registrations(app)
    assert row.confirmation_sent_at is None and row.confirmation_attempts == 1
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}"
    with app.app_context():
        assert confirmation.sweep(utcnow()) == 0  # too fresh: still its own task's
        assert confirmation.sweep(utcnow() + timedelta(minutes=3)) == 1
        assert confirmation.sweep(utcnow() + timedelta(minutes=6)) == 0  # sent: not again
    assert registrations(app)[0].confirmation_sent_at is not None
    assert len(inbox.to("ada@example.org")) == 1


def test_unconfirmed_registrations_are_forgotten_after_seven_days(app, client, open_event, filled):
    """The sweep deletes what was never confirmed; confirmed registrations stay."""
    client.post(f"/e/{open_event}/register", data=filled())
    with app.app_context():
        assert confirmation.sweep(utcnow() + timedelta(days=6)) == 0
        assert len(registrations(app)) == 1
        confirmation.sweep(utcnow() + signup.EXPIRY + timedelta(minutes=1))
    assert registrations(app) == []


def test_no_ticket_is_queued_for_a_registration_until_confirmed(app, client, open_event, filled):
    """The outbox holds nothing for an unconfirmed registration."""
    client.post(f"/e/{open_event}/register", data=filled())
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Outbox)) == 0


def test_answers_are_tidied_as_on_the_profile_page(app, client, open_event, filled, set_event):
    """Tags and lists as the guest's own profile stores them; the mentor question a yes/no."""
    questions = {"clubs": "optional", "interests": "optional", "willing_to_mentor": "required"}
    set_event(open_event, registration_questions=questions)
    data = filled(clubs=" Chess ;  chess; Rowing ", interests="AI", willing_to_mentor="yes")
    assert client.post(f"/e/{open_event}/register", data=data).status_code == 303
    answers = registrations(app)[0].answers
    assert answers["clubs"] == "Chess; Rowing" and answers["willing_to_mentor"] is True
    assert "class_year" not in answers  # no longer asked, so not kept


def test_registering_again_unconfirmed_takes_the_new_answers_and_restarts_the_days(
    app, client, open_event, filled, inbox, smtp_url
):
    """A typo fixed by registering again: the newest name and answers, a link that works even
    when the first one had run out."""
    client.post(f"/e/{open_event}/register", data=filled(name="Ada Lovelce"))
    with app.app_context():
        row = db.session.scalar(select(Registration))
        row.created_at = utcnow() - signup.EXPIRY - timedelta(minutes=1)
        db.session.commit()
    client.post(f"/e/{open_event}/register", data=filled(industry="Mathematics"))
    [row] = registrations(app)
    assert row.name == "Ada Lovelace" and row.answers["industry"] == "Mathematics"
    assert client.get(confirm_path(inbox.to("ada@example.org")[-1])).status_code == 200
