"""Invitations through the real queue: the confirm only queues, a `huey_consumer` process sends
them (on huey's SQLite file and on Redis); a worker killed mid-batch leaves the invitation it
was sending uncertain, never sent twice, and the others sent once."""

import signal
import uuid
from collections import Counter

import pytest
from conftest import csrf_token
from sqlalchemy import select, update
from support.consumer import WAIT, wait_for

from checkin.extensions import db
from checkin.models import Event, Invitation

ADDRESSES = ["ana@example.org", "ben@example.org", "cy@example.org"]


@pytest.fixture
def worker_invitations(app, client, sign_in, make_event):
    """Fall Reunion open for registration, the organizer signed in: press "Send 3 invitations"
    (returns the page it leads to)."""
    slug = make_event("Fall Reunion")
    with app.app_context():
        db.session.execute(update(Event).values(registration="open"))
        db.session.commit()
    sign_in()

    def press() -> str:
        token = csrf_token(client, f"/events/{slug}/invitations")
        data = {"csrf_token": token, "emails": "\n".join(ADDRESSES), "nonce": uuid.uuid4().hex}
        reply = client.post(f"/events/{slug}/invitations", data=data)
        assert reply.status_code == 302
        return client.get(reply.headers["Location"]).get_data(as_text=True)

    return press


def invitation_statuses(app) -> dict[str, str]:
    """Each address's invitation status, read fresh."""
    with app.app_context():
        return dict(db.session.execute(select(Invitation.email, Invitation.status)).all())


def test_a_consumer_process_sends_the_invitations(
    app, worker_invitations, inbox, worker, queue, tmp_path
):
    """The press only queues; the worker process sends each address one invitation."""
    assert "3 invitations queued" in worker_invitations() and inbox.messages == []
    assert set(invitation_statuses(app).values()) == {"queued"}
    worker()
    wait_for(lambda: set(invitation_statuses(app).values()) == {"sent"}, "three sent", tmp_path)
    assert Counter(m["To"].addresses[0].addr_spec for m in inbox.messages) == dict.fromkeys(
        ADDRESSES, 1
    )


@pytest.mark.parametrize("queue", ["file"], indirect=True)
def test_a_worker_killed_mid_batch_sends_nothing_twice(
    app, worker_invitations, inbox, worker, tmp_path
):
    """Two sent, the third held by the server when the worker is killed: the next worker marks
    it uncertain as it starts and sends no one a second invitation."""
    inbox.stall_at = 3
    worker_invitations()
    first = worker()
    assert inbox.stalled.wait(WAIT), "the worker never reached the third invitation"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    worker()
    wait_for(
        lambda: sorted(invitation_statuses(app).values()) == ["sent", "sent", "uncertain"],
        "two sent and one uncertain",
        tmp_path,
    )
    inbox.release.set()
    assert sorted(m["To"].addresses[0].addr_spec for m in inbox.messages) == ADDRESSES[:2]
