"""The real queue -> worker path: the test process enqueues, a `huey_consumer checkin.tasks.huey`
subprocess sends the ticket emails to a real SMTP server, on huey's SQLite file and on Redis.

How the two processes share a queue: `tasks.huey` is built at import from the environment, so
the test swaps its `storage` (monkeypatch) for one on the same queue the consumer builds from
the environment we give it: the huey.sqlite file under CHECKIN_INSTANCE, or the "checkin" queue
in the Redis at TEST_REDIS_URL. Nothing else in the test process changes, so "Send tickets" is
pressed as an organizer would press it. The kill tests use the file queue only: what they
prove is about the ticket rows, the same whichever queue carried the task.
"""

import signal
import uuid
from collections import Counter

import pytest
from conftest import csrf_token
from huey.api import PeriodicTask
from sqlalchemy import select
from support.consumer import WAIT, wait_for

from checkin import tasks
from checkin.extensions import db
from checkin.mail import ticket_mail
from checkin.models import Event, Outbox

GUESTS = ["ada@example.org", "zoe@example.org", "grace@example.org"]


def press_send_tickets(client, party) -> str:
    """Press "Send tickets" on the event's tickets page; returns the page it leads to."""
    data = {"csrf_token": csrf_token(client, f"/events/{party['slug']}"), "scope": "unsent"}
    reply = client.post(
        f"/events/{party['slug']}/tickets", data={**data, "nonce": uuid.uuid4().hex}
    )
    assert reply.status_code == 302
    return client.get(reply.headers["Location"]).get_data(as_text=True)


def statuses(app) -> dict[str, str]:
    """Each recipient's latest ticket email status (its outbox row), read fresh."""
    with app.app_context():
        rows = db.session.execute(select(Outbox.recipient, Outbox.status).order_by(Outbox.id))
        return dict(rows.all())


def test_a_consumer_process_sends_what_the_app_queued(
    app, client, ticket_party, inbox, worker, queue, tmp_path
):
    """The press only queues; a separate worker process sends each guest one email, with the
    ticket the app issued (same database and key), and marks each sent."""
    page = press_send_tickets(client, ticket_party)
    assert "Sending 3 ticket emails." in page and inbox.messages == []
    worker()
    wait_for(lambda: set(statuses(app).values()) == {"sent"}, "three sent rows", tmp_path)
    assert sorted(statuses(app)) == sorted(GUESTS)
    assert Counter(m["To"].addresses[0].addr_spec for m in inbox.messages) == dict.fromkeys(
        GUESTS, 1
    )
    for email, url in ticket_party["urls"].items():
        [message] = inbox.to(email)
        assert url.rsplit("/", 1)[-1] in message.get_body(("plain",)).get_content()
    # The queue drains: what the press queued, and what the worker's start queued again for the
    # same rows (its recovery; the claim keeps it from sending twice, as the counts above show).
    # A periodic task the consumer's clock just queued (due digests, every minute) is its own.
    wait_for(
        lambda: [t for t in tasks.huey.pending() if not isinstance(t, PeriodicTask)] == [],
        "an empty queue",
        tmp_path,
    )
    on_redis = "REDIS_URL" in queue
    assert (tmp_path / "instance" / "huey.sqlite").exists() is not on_redis


@pytest.fixture
def killed_mid_batch(app, client, ticket_party, inbox, worker, tmp_path):
    """A worker sends two of three, stalls on the third and is SIGKILLed; a new one starts."""
    inbox.stall_at = 3  # hold the third message until the test ends
    press_send_tickets(client, ticket_party)
    first = worker()
    assert inbox.stalled.wait(WAIT), "the worker never reached the third message"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    worker()
    return ticket_party


def send_to_a_late_guest(app, party, make_guest, tmp_path, inbox) -> None:
    """Queue one more guest's ticket and wait for it: the new worker has done what came before."""
    late, _ = make_guest(party["slug"], "Late Guest", email="late@example.org")
    with app.app_context():
        queued = ticket_mail.queue(db.session.get(Event, party["event_id"]), [late], False, "")
    tasks.send_tickets(party["event_id"], queued)
    wait_for(lambda: inbox.to("late@example.org"), "the late guest's email", tmp_path)
    # The server has the message a moment before the worker records it: wait for the record too.
    wait_for(lambda: statuses(app).get("late@example.org") == "sent", "its row", tmp_path)


@pytest.mark.parametrize("queue", ["file"], indirect=True)
def test_a_rerun_after_a_killed_worker_sends_nothing_twice(
    app, killed_mid_batch, inbox, make_guest, tmp_path
):
    """Running the killed batch's task again (a retry) claims nothing already claimed."""
    assert len(inbox.messages) == 2
    with app.app_context():
        ids = list(db.session.scalars(select(Outbox.attendee_id)))
    tasks.send_tickets(killed_mid_batch["event_id"], ids)
    send_to_a_late_guest(app, killed_mid_batch, make_guest, tmp_path, inbox)
    copies = Counter(m["To"].addresses[0].addr_spec for m in inbox.messages)
    assert max(copies.values()) == 1 and copies["late@example.org"] == 1


@pytest.mark.parametrize("queue", ["file"], indirect=True)
def test_after_a_killed_worker_the_new_one_sends_the_half_sent_ticket(
    app, client, killed_mid_batch, inbox, make_guest, tmp_path
):
    """The ticket the killed worker was sending is queued again by the new worker as it starts
    and sent: the count shows every guest sent and nothing waiting, "Send tickets" finds no one
    left, and every guest ends with exactly one."""
    send_to_a_late_guest(app, killed_mid_batch, make_guest, tmp_path, inbox)
    wait_for(lambda: set(statuses(app).values()) == {"sent"}, "every ticket sent", tmp_path)
    with app.app_context():
        summary = ticket_mail.summary(db.session.get(Event, killed_mid_batch["event_id"]))
    assert (summary.sent, summary.waiting) == (4, 0)  # the three guests and the late one
    assert "No ticket emails to send" in press_send_tickets(client, killed_mid_batch)
    copies = Counter(m["To"].addresses[0].addr_spec for m in inbox.messages)
    assert copies == dict.fromkeys([*GUESTS, "late@example.org"], 1)
