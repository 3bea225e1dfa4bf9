"""Ticket emails when things go wrong, through the one outbox, on a real SMTP server (aiosmtpd):
a busy server (4xx), a worker that stopped mid-send, an address that bounced for good."""

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from support.mailserver import BUSY, GONE
from support.pages import page_at

from checkin import tasks
from checkin.extensions import db
from checkin.mail import outbox, ticket_mail
from checkin.models import Event, Outbox, Suppression, utcnow

GUESTS = {"ada": "Ada Lovelace", "zoe": "Zoë Müller", "grace": "Grace Hopper"}

pytestmark = pytest.mark.usefixtures("smtp_url")  # every test sends to the test SMTP server


def guest_id(party, who: str) -> int:
    """A guest's id by first name."""
    return party["ids"][f"{who}@example.org"]


def send_tickets(client, party, scope="unsent", **extra):
    """Press "Send tickets" (or "Email everyone again")."""
    data = {"csrf_token": party["token"], "scope": scope, "nonce": uuid.uuid4().hex, **extra}
    assert client.post(f"/events/{party['slug']}/tickets", data=data).status_code == 302


def email_one(client, party, who: str) -> None:
    """Press "Email the ticket" on one guest's page."""
    path = f"/events/{party['slug']}/attendees/{guest_id(party, who)}/ticket-mail"
    data = {"csrf_token": party["token"], "nonce": uuid.uuid4().hex}
    assert client.post(path, data=data).status_code == 302


def row_of(party, who: str) -> Outbox:
    """The guest's latest ticket row, read fresh."""
    db.session.commit()
    return db.session.scalar(
        select(Outbox)
        .where(Outbox.attendee_id == guest_id(party, who), Outbox.kind == "ticket")
        .order_by(Outbox.id.desc())
        .limit(1)
    )


def test_a_busy_server_gets_the_ticket_again_later_and_it_arrives_once(
    ctx, client, ticket_party, inbox
):
    """Zoë's server answers 451: her ticket waits 60 s (the page says so, and polls once a minute
    meanwhile), a pass before then sends nothing, the pass after sends it: one copy each."""
    inbox.answer("zoe@example.org", BUSY)
    send_tickets(client, ticket_party)
    zoe, now = row_of(ticket_party, "zoe"), utcnow()
    assert (zoe.status, zoe.attempts) == ("queued", 1) and "451" in zoe.reason
    assert now + timedelta(seconds=50) < zoe.next_attempt_at <= now + timedelta(seconds=60)
    status = page_at(client, f"/events/{ticket_party['slug']}/tickets")
    assert "1 to be tried again later: the mail server asked us to wait." in status
    assert "waiting to go out" not in status and 'hx-trigger="every 60s"' in status
    assert re.search(r'"stat">2</span> of 3', status)
    ticket_mail.send_due(zoe.next_attempt_at - timedelta(seconds=1))
    assert inbox.to("zoe@example.org") == []
    ticket_mail.send_due(zoe.next_attempt_at + timedelta(seconds=1))
    assert inbox.copies() == {f"{k}@example.org": 1 for k in GUESTS}
    zoe = row_of(ticket_party, "zoe")
    assert (zoe.status, zoe.attempts, zoe.reason) == ("sent", 2, "")
    assert re.search(
        r'"stat">3</span> of 3', page_at(client, f"/events/{ticket_party['slug']}/tickets")
    )


def test_a_server_busy_past_the_last_delay_fails_the_ticket(ctx, app, client, ticket_party, inbox):
    """With one retry configured, a server busy twice fails the ticket, with why."""
    app.config["DIGEST_RETRY_DELAYS"] = (60,)
    inbox.answer("zoe@example.org", BUSY, BUSY)
    send_tickets(client, ticket_party)
    ticket_mail.send_due(utcnow() + timedelta(minutes=2))
    zoe = row_of(ticket_party, "zoe")
    assert zoe.status == "failed" and zoe.reason.startswith("Gave up after 2 attempts")
    assert "1 could not be sent." in page_at(client, f"/events/{ticket_party['slug']}/tickets")


def test_a_ticket_a_stopped_worker_left_half_sent_goes_out_again(ctx, client, ticket_party, inbox):
    """A worker took the batch, claimed Ada's ticket and stopped before recording it: the
    worker's recovery queues hers again and sends it with the rest of the batch, once each."""
    event = db.session.get(Event, ticket_party["event_id"])
    queued = ticket_mail.queue(event, None, again=False, batch="")  # the task is lost
    row_id = row_of(ticket_party, "ada").id
    assert outbox.claim(row_id, utcnow()) is not None  # the worker took Ada's, then stopped
    long_ago = utcnow() - outbox.STALE - timedelta(minutes=1)
    db.session.execute(update(Outbox).values(queued_at=long_ago))
    db.session.execute(update(Outbox).where(Outbox.id == row_id).values(claimed_at=long_ago))
    db.session.commit()
    assert sorted(queued) == sorted(ticket_party["ids"].values())
    assert "3 waiting to go out." in page_at(client, f"/events/{ticket_party['slug']}/tickets")
    tasks.recover_mail()  # the worker's recovery: recover, then send what waits
    assert inbox.copies() == {f"{k}@example.org": 1 for k in GUESTS}
    ada = row_of(ticket_party, "ada")
    assert (ada.id, ada.status, ada.attempts) == (row_id, "sent", 2)
    assert "waiting to go out" not in page_at(client, f"/events/{ticket_party['slug']}/tickets")


def test_a_hard_bounce_stops_every_later_ticket_until_the_organizer_lifts_it(
    ctx, client, ticket_party, inbox
):
    """Grace's server refuses for good (550): her address is suppressed. "Email everyone
    again" sends Ada and Zoë theirs and skips Grace; the count says her address bounced
    earlier, and so do the failures list and her page. Emailing her from her page lifts it."""
    inbox.answer("grace@example.org", GONE)
    send_tickets(client, ticket_party)
    assert db.session.scalar(select(Suppression.email)) == "grace@example.org"
    send_tickets(client, ticket_party, "all", confirm="y")
    assert inbox.copies() == {"ada@example.org": 2, "zoe@example.org": 2}
    assert row_of(ticket_party, "grace").status == "skipped"
    status = page_at(client, f"/events/{ticket_party['slug']}/tickets")
    assert "1 not sent: address bounced earlier." in status
    assert "Grace Hopper" in status and "the address bounced earlier" in status
    grace_page = page_at(
        client, f"/events/{ticket_party['slug']}/attendees/{guest_id(ticket_party, 'grace')}"
    )
    assert '<span class="tag bad">Not sent</span>' in grace_page
    email_one(client, ticket_party, "grace")
    assert (
        inbox.copies()["grace@example.org"] == 1 and row_of(ticket_party, "grace").status == "sent"
    )
    assert db.session.scalar(select(Suppression.email)) is None


def test_an_address_a_digest_bounced_gets_no_ticket(ctx, client, ticket_party, inbox):
    """Suppression is the outbox's, whatever bounced: an address refused for a digest gets no
    ticket either, and the event page's count says so."""
    db.session.add(Suppression(email="zoe@example.org", reason="550 for a digest"))
    db.session.commit()
    send_tickets(client, ticket_party)
    assert inbox.copies() == {"ada@example.org": 1, "grace@example.org": 1}
    assert "1 not sent: address bounced earlier." in page_at(
        client, f"/events/{ticket_party['slug']}"
    )
