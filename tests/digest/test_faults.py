"""Digests when things go wrong: a busy server, a refused address, no server, two senders at
once, consent withdrawn a moment before sending. Each on a real SMTP server (aiosmtpd)."""

import threading
from datetime import timedelta

from sqlalchemy import select, update
from support.digests import statuses
from support.mailserver import BUSY, GONE, Inbox, free_port, start

from checkin.extensions import db
from checkin.mail import digest_outbox
from checkin.models import Event, Guest, Outbox, Suppression, utcnow


def row_of(party, name: str) -> Outbox:
    db.session.commit()  # a fresh read
    return db.session.scalar(select(Outbox).where(Outbox.attendee_id == party.ids[name]))


def queue(party) -> None:
    digest_outbox.queue_digests(db.session.get(Event, party.event_id))


def test_451_twice_then_250_delivers_once(ctx, party, inbox):
    """Zoe's server is busy twice: her row waits 60 s, then 300 s, then she gets one digest;
    the others got theirs at once; a run before her time sends nothing."""
    inbox.answer("zoe@example.org", BUSY, BUSY)
    now = utcnow()
    queue(party)
    first = digest_outbox.send_queued(party.event_id, now)
    assert (first.sent, first.retrying) == (2, 1)
    zoe = row_of(party, "zoe")
    assert (zoe.status, zoe.attempts, zoe.next_attempt_at) == (
        "queued",
        1,
        now + timedelta(seconds=60),
    )
    assert "451" in zoe.reason and "try again" in zoe.reason
    assert digest_outbox.send_queued(party.event_id, now + timedelta(seconds=59)).retrying == 0
    second = now + timedelta(seconds=61)
    assert digest_outbox.send_queued(party.event_id, second).retrying == 1
    assert row_of(party, "zoe").next_attempt_at == second + timedelta(seconds=300)
    third = digest_outbox.send_queued(party.event_id, second + timedelta(seconds=301))
    assert third.sent == 1 and inbox.copies() == dict.fromkeys(party.readers, 1)
    zoe = row_of(party, "zoe")
    assert (zoe.status, zoe.attempts, zoe.reason) == ("sent", 3, "")


def test_after_the_last_delay_the_row_fails(ctx, app, party, inbox):
    """With one retry configured, a server busy three times fails the row after two attempts."""
    app.config["DIGEST_RETRY_DELAYS"] = (60,)
    inbox.answer("zoe@example.org", BUSY, BUSY, BUSY)
    now = utcnow()
    queue(party)
    digest_outbox.send_queued(party.event_id, now)
    assert digest_outbox.send_queued(party.event_id, now + timedelta(minutes=2)).failed == 1
    zoe = row_of(party, "zoe")
    assert zoe.status == "failed" and zoe.reason.startswith("Gave up after 2 attempts")
    assert inbox.to("zoe@example.org") == []


def test_550_fails_without_retry_suppresses_and_the_others_go_on(ctx, party, inbox):
    """Ada's address is refused for good: her row fails with the server's words, is never
    tried again, her address is suppressed; Zoe and Grace (after her) get theirs."""
    inbox.answer("ada@example.org", GONE)
    counts = digest_outbox.send_now(db.session.get(Event, party.event_id))
    assert (counts.sent, counts.failed, counts.retrying) == (2, 1, 0)
    ada = row_of(party, "ada")
    assert (ada.status, ada.attempts, ada.next_attempt_at) == ("failed", 1, None)
    assert "550" in ada.reason and "No such user" in ada.reason
    assert db.session.scalar(select(Suppression.email)) == "ada@example.org"
    later = utcnow() + timedelta(days=1)
    assert digest_outbox.send_queued(party.event_id, later).failed == 0
    assert inbox.copies() == {"zoe@example.org": 1, "grace@example.org": 1}


def test_a_dead_server_loses_nothing_and_delivers_when_it_returns(ctx, app, party):
    """No server listening: every reader's row waits (nothing failed, nothing lost); once the
    server is up on that port, the next due run delivers each digest once."""
    port = free_port()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    now = utcnow()
    queue(party)
    counts = digest_outbox.send_queued(party.event_id, now)
    assert (counts.sent, counts.failed, counts.retrying, counts.skipped) == (0, 0, 3, 2)
    assert "Could not reach the mail server" in row_of(party, "ada").reason
    back = Inbox()
    controller = start(back, port)
    try:
        assert digest_outbox.send_queued(party.event_id, now + timedelta(minutes=2)).sent == 3
    finally:
        controller.stop()
    assert back.copies() == dict.fromkeys(party.readers, 1)
    assert set(statuses(app, party.event_id).values()) == {"sent", "skipped"}


def test_two_senders_at_once_send_each_digest_once(app, party, inbox):
    """Two threads run send_queued on the same rows at the same moment: each digest goes once,
    and between them they account for every row exactly once."""
    with app.app_context():
        queue(party)
    start, results = threading.Barrier(2), []

    def send() -> None:
        with app.app_context():
            start.wait()
            results.append(digest_outbox.send_queued(party.event_id))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert inbox.copies() == dict.fromkeys(party.readers, 1)
    total = results[0] + results[1]
    assert (total.sent, total.skipped) == (3, 2)


def test_a_rerun_after_sending_sends_nothing(ctx, party, inbox):
    """The same batch run twice in a row: the second claims nothing."""
    queue(party)
    digest_outbox.send_queued(party.event_id)
    assert digest_outbox.send_queued(party.event_id).line().startswith("Digests: 0 sent, 0 skip")
    assert inbox.copies() == dict.fromkeys(party.readers, 1)


def test_consent_withdrawn_just_before_sending_removes_the_contact(ctx, app, party, inbox):
    """Ada's digest goes first and carries Zoe's address (mutual, both share); Ada then stops
    sharing her contact details, mid-batch: Zoe's digest, built next, no longer carries Ada's."""

    def withdraw(message) -> None:
        if message["To"].addresses[0].addr_spec != "ada@example.org":
            return
        with app.app_context():
            db.session.execute(
                update(Guest)
                .where(Guest.id == party.ids["ada"])
                .values(consent_share_contact=False)
            )
            db.session.commit()

    inbox.after_message = withdraw
    queue(party)
    digest_outbox.send_queued(party.event_id)
    [to_ada], [to_zoe] = inbox.to("ada@example.org"), inbox.to("zoe@example.org")
    assert "zoe@example.org" in to_ada.get_body(("plain",)).get_content()
    text = to_zoe.get_body(("plain",)).get_content()
    assert "Ada Example" in text and "ada@example.org" not in text


def test_consent_to_the_digest_withdrawn_before_sending_skips(ctx, party, inbox):
    """Grace unticks the digest after it was queued: she is skipped, with why."""
    queue(party)
    db.session.execute(
        update(Guest).where(Guest.id == party.ids["grace"]).values(consent_digest=False)
    )
    db.session.commit()
    digest_outbox.send_queued(party.event_id)
    assert inbox.to("grace@example.org") == []
    assert row_of(party, "grace").reason == "Did not ask for the digest."
