"""The real worker sends the digests: a `huey_consumer checkin.tasks.huey` subprocess, the
periodic send_due task, a real SMTP server; on huey's SQLite file and on Redis.

The consumer and its queue are support/consumer.py's fixtures (`worker`, `queue`), pointed at
the `inbox` of support/mail_fixtures.py. The periodic task fires on the minute; to not wait for
it, the test enqueues it as the scheduler would (calling a periodic task enqueues it). The
test's clock does not move: the event's times do.
"""

import signal
from collections import Counter
from datetime import timedelta

import pytest
import vobject
from sqlalchemy import select, update
from support.consumer import WAIT, wait_for
from support.digests import Party, card, make_party, statuses

from checkin import tasks
from checkin.extensions import db
from checkin.mail import messages
from checkin.models import Event, Guest, Outbox, utcnow


def move_to_the_past(app, event_id: int) -> None:
    """The event ended two days ago, so its default digest time (9:00 local the morning after)
    has passed, well within schedule.LATE."""
    ended = utcnow() - timedelta(days=2)
    with app.app_context():
        db.session.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(starts_at=ended - timedelta(hours=5), ends_at=ended, digest_at=None)
        )
        db.session.commit()


@pytest.fixture
def breakfast(app, make_event, make_guest, set_guest):
    """Another event whose digest is due now: Early, whom the host recorded. When Early has a
    digest, the periodic run that sent it has looked at every event."""
    slug = make_event("Early Breakfast")
    early, _ = make_guest(slug, "Early Bird", email="early@example.org")
    host, _ = make_guest(slug, "Host Person", email="host@example.org")
    set_guest(early, consent_digest=True)
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        event.digest_at = utcnow() - timedelta(minutes=1)
        card(event.id, host, early, "")
        db.session.commit()
    return early


def digests(inbox) -> Counter:
    """How many digests each address received (ticket emails left out)."""
    return Counter(
        m["To"].addresses[0].addr_spec
        for m in inbox.messages
        if not m["Subject"].startswith("Your ticket")
    )


def settle(inbox, party_id: int, tmp_path) -> None:
    """Wait until the worker has done every task queued so far: it runs one at a time, in
    order, so once a ticket email queued now has arrived, the tasks before it are done."""
    tickets = len(inbox.to("bob@example.org"))
    tasks.send_link_again("bob@example.org", party_id)
    wait_for(lambda: len(inbox.to("bob@example.org")) > tickets, "the worker to settle", tmp_path)


def final(app, event_id: int) -> bool:
    """Every digest row of the event is sent or skipped (and there are rows)."""
    found = statuses(app, event_id)
    return bool(found) and set(found.values()) <= {"sent", "skipped"}


def test_the_worker_sends_each_reader_one_digest_once_the_time_has_come(
    app, party, breakfast, inbox, worker, tmp_path
):
    """Before the digest time the periodic run sends the party nothing (it does send the
    breakfast, which is due); after it, every opted-in reader with something to say receives
    exactly one digest, and the others are skipped with a reason."""
    worker()
    tasks.send_due_digests()
    wait_for(lambda: inbox.to("early@example.org"), "the breakfast digest", tmp_path)
    assert [m["To"].addresses[0].addr_spec for m in inbox.messages] == ["early@example.org"]
    with app.app_context():
        assert db.session.get(Event, party.event_id).digest_queued_at is None
    move_to_the_past(app, party.event_id)
    tasks.send_due_digests()
    wait_for(lambda: final(app, party.event_id), "the party's digests", tmp_path)
    assert inbox.copies() == dict.fromkeys([*party.readers, "early@example.org"], 1)
    assert statuses(app, party.event_id) == {
        **dict.fromkeys(party.readers, "sent"),
        "bob@example.org": "skipped",
        "eve@example.org": "skipped",
    }
    tasks.send_due_digests()  # the next minute's run, and a retried task, send nothing
    tasks.send_digests(party.event_id)
    settle(inbox, party.event_id, tmp_path)
    assert digests(inbox) == dict.fromkeys([*party.readers, "early@example.org"], 1)


@pytest.mark.parametrize("queue", ["file"], indirect=True)
def test_a_worker_killed_mid_batch_and_restarted_sends_no_one_a_second_digest(
    app, party, inbox, worker, tmp_path
):
    """The worker sends Ada's digest, is SIGKILLed while the server holds Zoe's; a new worker
    marks Zoe's row uncertain (it may have gone), sends Grace hers, and resends nothing."""
    inbox.stall_at = 2
    move_to_the_past(app, party.event_id)
    first = worker()
    tasks.send_due_digests()
    assert inbox.stalled.wait(WAIT), "the worker never reached the second digest"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert statuses(app, party.event_id)["zoe@example.org"] == "sending"
    worker()
    done = {"ada@example.org": "sent", "zoe@example.org": "uncertain", "grace@example.org": "sent"}
    wait_for(lambda: statuses(app, party.event_id).items() >= done.items(), "recovery", tmp_path)
    tasks.send_due_digests()  # later periodic runs and a retried task change nothing
    tasks.send_digests(party.event_id)
    settle(inbox, party.event_id, tmp_path)
    assert digests(inbox) == {"ada@example.org": 1, "grace@example.org": 1}
    with app.app_context():
        zoe = db.session.scalar(select(Outbox).where(Outbox.recipient == "zoe@example.org"))
        assert zoe.status == "uncertain" and "may or may not have gone out" in zoe.reason


def parts(message) -> tuple[str, str, list]:
    """A received digest's plain text, HTML and parsed vCards (none without an attachment)."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    cards = [
        card
        for part in message.iter_attachments()
        if part.get_content_type() == "text/vcard"
        for card in vobject.readComponents(part.get_content())
    ]
    return text, html, cards


def test_what_the_worker_sends_says_the_right_things_to_each_reader(
    app, party, inbox, worker, tmp_path
):
    """Through the real worker and SMTP server: names, reasons and each reader's own note in
    both parts, never another's note; contact details and a parseable .vcf only for the
    mutual, consented pair; one-click unsubscribe headers and a stable Message-ID."""
    move_to_the_past(app, party.event_id)
    worker()
    tasks.send_due_digests()
    wait_for(lambda: final(app, party.event_id), "the party's digests", tmp_path)
    [ada], [zoe], [grace] = (inbox.to(party.email(n)) for n in ("ada", "zoe", "grace"))
    notes = {
        "ada": "Ada's note: Zoe knows the Lisbon office",
        "zoe": "Zoe's note: Ada hires PMs",
        "grace": "Grace's note: ask Ada about Watson",
    }
    for name, message in (("ada", ada), ("zoe", zoe), ("grace", grace)):
        text, html, _ = parts(message)
        for body in (text, html.replace("&#39;", "'").replace("&#x27;", "'")):
            assert notes[name] in body
            assert not [n for who, n in notes.items() if who != name and n in body]
            assert "Watson Hall" in body  # a reason the matching engine gave
        unsubscribe = message["List-Unsubscribe"]
        assert unsubscribe.startswith("<http://127.0.0.1:5000/mail/unsubscribe/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        with app.app_context():
            event = db.session.get(Event, party.event_id)
            reader = db.session.get(Guest, party.ids[name])
            assert message["Message-ID"] == f"<{messages.message_id(event, reader)}>"
    ada_text, ada_html, ada_cards = parts(ada)
    assert "Zoe Example" in ada_text and "zoe@example.org" in ada_text
    assert "zoe@example.org" in ada_html and "Grace Example" in ada_text  # connect back
    assert [c.fn.value for c in ada_cards] == ["Zoe Example"]
    assert ada_cards[0].email.value == "zoe@example.org"
    grace_text, grace_html, grace_cards = parts(grace)
    assert "Ada Example" in grace_text  # met, but not mutual: no address, no card
    assert "ada@example.org" not in grace_text + grace_html and grace_cards == []


def test_a_post_to_the_unsubscribe_url_stops_the_next_digest_a_get_does_not(
    app, party, inbox, worker, tmp_path, make_event, make_guest, set_guest
):
    """Ada's List-Unsubscribe URL from the party's digest: after a GET, the organizer's next
    event still sends her its digest; after a one-click POST (no session, no CSRF token), the
    one after that skips her, saying why."""

    def next_event(name: str) -> Party:
        later = make_party(make_event, make_guest, set_guest, app, name=name)
        move_to_the_past(app, later.event_id)
        tasks.send_due_digests()
        wait_for(lambda: final(app, later.event_id), f"the {name} digests", tmp_path)
        return later

    move_to_the_past(app, party.event_id)
    worker()
    tasks.send_due_digests()
    wait_for(lambda: final(app, party.event_id), "the party's digests", tmp_path)
    [ada] = inbox.to(party.email("ada"))
    path = ada["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:5000")
    client = app.test_client()

    assert client.get(path).status_code == 200
    next_event("Spring Gala")
    assert digests(inbox)[party.email("ada")] == 2
    answer = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "unsubscribed" in answer.get_data(as_text=True)
    summer = next_event("Summer Picnic")
    assert digests(inbox)[party.email("ada")] == 2
    assert digests(inbox)[party.email("zoe")] == 3  # the others still get theirs
    assert statuses(app, summer.event_id)[party.email("ada")] == "skipped"
    with app.app_context():
        row = db.session.scalar(select(Outbox).where(Outbox.attendee_id == summer.ids["ada"]))
        assert "Unsubscribed" in row.reason
