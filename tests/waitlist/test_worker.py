"""The real queue -> worker path for offers: a cancel in the app only queues the offer's email;
a `huey_consumer checkin.tasks.huey` process sends it to a real SMTP server (on huey's SQLite
file, and on Redis when TEST_REDIS_URL is set)."""

import re
from datetime import timedelta

from huey.api import PeriodicTask
from sqlalchemy import select
from support.consumer import wait_for

from checkin import tasks
from checkin.extensions import db
from checkin.models import Registration, utcnow
from checkin.registration import cancellations

from .conftest import registration_row


def test_a_worker_process_sends_the_offer_with_a_working_link(
    app, client, waitlist_event, waitlist_signup, inbox, worker, queue, tmp_path
):
    """The cancel queues the offer; nothing is sent until the worker runs; then one email
    whose link (written again in the worker from the key) opens the offer."""
    ids = [waitlist_signup(waitlist_event, n)[0] for n in ("Ada", "Bo", "Cy", "Di")]
    with app.app_context():
        guest = db.session.get(Registration, ids[0]).guest
        assert cancellations.cancel(guest, utcnow())
    assert registration_row(app, ids[3]).status == "offered" and inbox.messages == []
    worker()
    wait_for(lambda: len(inbox.messages) == 1, "the offer email", tmp_path)
    (offer,) = inbox.messages
    assert offer["To"].addresses[0].addr_spec == "di@example.org"
    text = offer.get_body(("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:5000(/e/\S+/offer/\S+)", text).group(1)
    assert "Accept my place" in client.get(link).get_data(as_text=True)


def test_the_sweep_is_a_periodic_task(app, waitlist_event, waitlist_signup):
    """tasks.lapse_offers runs every minute and lapses what is overdue at the time it is given."""
    ids = [waitlist_signup(waitlist_event, n)[0] for n in ("Ada", "Bo", "Cy", "Di")]
    with app.app_context():
        assert cancellations.cancel(db.session.get(Registration, ids[0]).guest)
        deadline = db.session.scalar(
            select(Registration.offer_expires_at).where(Registration.id == ids[3])
        )
    assert issubclass(tasks.lapse_offers.task_class, PeriodicTask)
    assert tasks.lapse_offers.task_class().validate_datetime(deadline.replace(second=0))
    with app.app_context():
        tasks.lapse_offers.call_local(deadline + timedelta(seconds=1))
    assert registration_row(app, ids[3]).status == "lapsed"
