"""The digest outbox: queue once, send each digest once over one connection, skip with a reason,
recover what a stopped worker left, retry for the organizer; on a real SMTP server."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from support.digests import make_party

from checkin.digest import schedule
from checkin.extensions import db
from checkin.mail import digest_outbox, outbox, subscriptions
from checkin.models import Event, Guest, Outbox, Suppression, utcnow


def event_of(party) -> Event:
    return db.session.get(Event, party.event_id)


def row_of(party, name: str, kind: str = "digest") -> Outbox:
    return db.session.scalar(
        select(Outbox).where(Outbox.attendee_id == party.ids[name], Outbox.kind == kind)
    )


def test_queueing_makes_one_row_per_guest_once(ctx, party):
    """Five guests, five rows, the event marked queued; queueing again makes none."""
    now = utcnow()
    assert digest_outbox.queue_digests(event_of(party), now) == 5
    assert digest_outbox.queue_digests(event_of(party), now + timedelta(hours=1)) == 0
    assert db.session.scalar(select(func.count()).select_from(Outbox)) == 5
    assert event_of(party).digest_queued_at == now


def test_an_introduction_is_queued_once(ctx, party):
    """The same introduction queued twice makes one row, of kind match:<other id>."""
    ada, zoe = (db.session.get(Guest, party.ids[n]) for n in ("ada", "zoe"))
    assert digest_outbox.queue_introduction(event_of(party), ada, zoe) is True
    assert digest_outbox.queue_introduction(event_of(party), ada, zoe) is False
    assert row_of(party, "ada", f"match:{zoe.id}").status == "queued"


def test_send_now_sends_each_reader_one_digest_and_skips_the_rest(ctx, party, inbox):
    """Ada, Zoe and Grace get one digest each over one connection; Bob and Eve are skipped with
    why; each sent row keeps the message's Message-ID."""
    counts = digest_outbox.send_now(event_of(party))
    assert counts.line() == "Digests: 3 sent, 2 skipped, 0 failed, 0 retrying, 0 uncertain"
    assert inbox.copies() == dict.fromkeys(party.readers, 1)
    assert inbox.greetings == 1  # one SMTP connection for the batch
    assert row_of(party, "bob").reason == "Did not ask for the digest."
    assert row_of(party, "eve").reason.startswith("Nothing to say")
    [message] = inbox.to("ada@example.org")
    ada = row_of(party, "ada")
    assert (ada.status, ada.attempts, ada.recipient) == ("sent", 1, "ada@example.org")
    assert f"<{ada.message_id}>" == message["Message-ID"] and ada.sent_at is not None


def test_a_second_run_sends_nothing(ctx, party, inbox):
    """send_now, send_now again and send_queued: still one digest each."""
    digest_outbox.send_now(event_of(party))
    again = digest_outbox.send_now(event_of(party))
    assert again.line() == "Digests: 0 sent, 0 skipped, 0 failed, 0 retrying, 0 uncertain"
    assert digest_outbox.send_queued(party.event_id).sent == 0
    assert inbox.copies() == dict.fromkeys(party.readers, 1)


def test_send_due_waits_for_the_digest_time(ctx, party, inbox):
    """A minute before the digest time nothing is queued; a minute after, every reader gets
    theirs; a run after that sends nothing more."""
    due = schedule.digest_time(event_of(party))
    assert digest_outbox.send_due(due - timedelta(minutes=1)).sent == 0
    assert event_of(party).digest_queued_at is None and inbox.messages == []
    assert digest_outbox.send_due(due + timedelta(minutes=1)).sent == 3
    assert digest_outbox.send_due(due + timedelta(minutes=2)).sent == 0
    assert inbox.copies() == dict.fromkeys(party.readers, 1)


def test_an_event_weeks_overdue_is_not_sent_by_itself(ctx, party, inbox):
    """Past schedule.LATE the periodic run leaves the event alone (send now still works)."""
    late = schedule.digest_time(event_of(party)) + schedule.LATE + timedelta(hours=1)
    assert digest_outbox.send_due(late).sent == 0 and inbox.messages == []


def test_one_event_at_a_time(ctx, party, inbox, make_event, make_guest, set_guest, app):
    """send_due for one event sends only that event's digests."""
    other = make_party(make_event, make_guest, set_guest, app, name="Spring Gala")
    due = schedule.digest_time(event_of(party)) + timedelta(minutes=1)
    counts = digest_outbox.send_due(due, event=db.session.get(Event, other.event_id))
    assert counts.sent == 3
    assert digest_outbox.counts(event_of(party))["queued"] == 0  # the first: not even queued


def test_an_unsubscribed_reader_is_skipped(ctx, party, inbox):
    """Zoe unsubscribed after the digests were queued: no digest, and the row says why."""
    digest_outbox.queue_digests(event_of(party))
    subscriptions.unsubscribe(db.session.get(Guest, party.ids["zoe"]))
    digest_outbox.send_queued(party.event_id)
    assert inbox.to("zoe@example.org") == []
    zoe = row_of(party, "zoe")
    assert zoe.status == "skipped"
    assert zoe.reason == "Unsubscribed from the organizer's digests and introductions."


def test_a_suppressed_address_is_skipped(ctx, party, inbox):
    """An address a server refused for good before gets nothing."""
    db.session.add(Suppression(email="grace@example.org", reason="550 earlier"))
    db.session.commit()
    digest_outbox.send_now(event_of(party))
    assert inbox.to("grace@example.org") == []
    assert "refused" in row_of(party, "grace").reason


def test_an_introduction_goes_to_its_reader(ctx, party, inbox):
    """A match row sends the introduction: to Ada, about Zoe."""
    ada, zoe = (db.session.get(Guest, party.ids[n]) for n in ("ada", "zoe"))
    digest_outbox.queue_introduction(event_of(party), ada, zoe)
    assert digest_outbox.send_queued(party.event_id).sent == 1
    [message] = inbox.messages
    assert message["To"].addresses[0].addr_spec == "ada@example.org"
    assert "Zoe Example" in message.get_body(("plain",)).get_content()


def test_an_unsubscribed_reader_gets_no_introduction(ctx, party, inbox):
    """Unsubscribing stops introductions too."""
    ada, zoe = (db.session.get(Guest, party.ids[n]) for n in ("ada", "zoe"))
    digest_outbox.queue_introduction(event_of(party), ada, zoe)
    subscriptions.unsubscribe(ada)
    assert digest_outbox.send_queued(party.event_id).skipped == 1 and inbox.messages == []


def test_a_test_copy_goes_to_the_organizer_and_leaves_no_row(ctx, party, inbox):
    """send_test mails Ada's digest to the organizer's address; the outbox stays empty."""
    ada = db.session.get(Guest, party.ids["ada"])
    outcome = digest_outbox.send_test(event_of(party), ada, "organizer@example.org")
    assert outcome.ok
    [message] = inbox.messages
    assert message["To"].addresses[0].addr_spec == "organizer@example.org"
    assert message["Subject"].startswith("[Test] ") and message["List-Unsubscribe"] is None
    assert "Zoe Example" in message.get_body(("plain",)).get_content()
    assert db.session.scalar(select(func.count()).select_from(Outbox)) == 0


def test_a_test_copy_is_only_of_this_events_guests(
    ctx, party, inbox, make_event, make_guest, set_guest, app
):
    """Another event's guest cannot be previewed by mail through this event."""
    other = make_party(
        make_event, make_guest, set_guest, app, "Spring Gala", organizer="b@example.org"
    )
    stranger = db.session.get(Guest, other.ids["ada"])
    with pytest.raises(ValueError):
        digest_outbox.send_test(event_of(party), stranger, "organizer@example.org")
    assert inbox.messages == []


def test_a_test_copy_of_nothing_says_so(ctx, party, inbox):
    """Eve has nothing to read: the test is not sent, and the outcome says why."""
    eve = db.session.get(Guest, party.ids["eve"])
    outcome = digest_outbox.send_test(event_of(party), eve, "organizer@example.org")
    assert not outcome.ok and "nothing to read" in outcome.error and inbox.messages == []


def mark_sending(party, name: str, claimed_at) -> None:
    """Leave a row as a worker that stopped mid-send would: claimed, never recorded."""
    digest_outbox.queue_digests(event_of(party))
    db.session.execute(
        update(Outbox)
        .where(Outbox.attendee_id == party.ids[name])
        .values(status="sending", claimed_at=claimed_at, attempts=1)
    )
    db.session.commit()


def test_recover_marks_an_abandoned_row_uncertain_and_never_resends_it(ctx, party, inbox):
    """A row claimed before the cutoff becomes uncertain with a reason; sending goes on with
    the others and leaves it alone."""
    mark_sending(party, "ada", utcnow() - timedelta(minutes=30))
    assert outbox.recover() == 1
    ada = row_of(party, "ada")
    assert ada.status == "uncertain" and "may or may not have gone out" in ada.reason
    digest_outbox.send_queued(party.event_id)
    assert inbox.to("ada@example.org") == [] and len(inbox.messages) == 2


def test_recover_leaves_a_row_claimed_after_the_cutoff(ctx, party):
    """A row a live worker claimed a moment ago is still being sent: not touched."""
    mark_sending(party, "ada", utcnow())
    assert outbox.recover(utcnow() - timedelta(minutes=1)) == 0
    assert row_of(party, "ada").status == "sending"


def test_retry_queues_a_skipped_row_and_an_uncertain_one_only_with_force(ctx, party, inbox):
    """Bob's skipped row can be retried; Ada's uncertain one only with force, and then she gets
    exactly one digest."""
    mark_sending(party, "ada", utcnow() - timedelta(hours=1))
    outbox.recover()
    ada = row_of(party, "ada").id
    assert digest_outbox.retry(event_of(party), ada) is False
    assert digest_outbox.retry(event_of(party), ada, force=True) is True
    digest_outbox.send_queued(party.event_id)
    assert len(inbox.to("ada@example.org")) == 1
    assert digest_outbox.retry(event_of(party), row_of(party, "bob").id) is True
    assert (row_of(party, "bob").status, row_of(party, "bob").attempts) == ("queued", 0)
    assert digest_outbox.retry(event_of(party), ada) is False  # sent: nothing to retry


def test_another_organizers_event_cannot_reach_these_rows(
    ctx, party, inbox, make_event, make_guest, set_guest, app
):
    """retry, rows and counts are scoped to the event given: another event's row is not found."""
    other = make_party(
        make_event, make_guest, set_guest, app, "Spring Gala", organizer="b@example.org"
    )
    digest_outbox.send_now(event_of(party))
    theirs = db.session.get(Event, other.event_id)
    assert digest_outbox.retry(theirs, row_of(party, "bob").id) is False
    assert digest_outbox.rows(theirs) == [] and sum(digest_outbox.counts(theirs).values()) == 0


def test_counts_and_rows_for_the_status_page(ctx, party, inbox):
    """counts has every status; rows lists one status by name with the guest loaded."""
    digest_outbox.send_now(event_of(party))
    counts = digest_outbox.counts(event_of(party))
    assert counts == {
        "queued": 0,
        "sending": 0,
        "sent": 3,
        "failed": 0,
        "skipped": 2,
        "uncertain": 0,
    }
    skipped = digest_outbox.rows(event_of(party), "skipped")
    assert [r.guest.name for r in skipped] == ["Bob Example", "Eve Example"]
    assert len(digest_outbox.rows(event_of(party), limit=2, offset=4)) == 1
