"""Guests who gave their place back, as the organizer sees them: marked in the guest list with
a "Cancelled" filter (htmx fragment and plain page), and left out of what counts who is
coming: the event page's "N of M checked in", the door's stats, badge sheets and digests."""

from datetime import timedelta

import pytest
from conftest import REUNION_START, csrf_token
from sqlalchemy import select
from support.pages import HTMX, readable

from checkin.digest import content
from checkin.extensions import db
from checkin.mail import digest_outbox
from checkin.models import Event, Guest, Outbox
from checkin.print import jobs
from checkin.registration import cancellations


@pytest.fixture
def gave_back(app, client, sign_in, make_event, make_guest, make_pass):
    """Fall Reunion with Ada (checked in), Bob (coming) and Cy (cancelled); signed in as its
    organizer. Returns slug, ids by first name and a door pass token."""
    slug = make_event()
    ids = {first: make_guest(slug, f"{first} Tester")[0] for first in ("Ada", "Bob", "Cy")}
    token = make_pass(slug)
    with app.app_context():
        db.session.get(Guest, ids["Ada"]).checked_in_at = REUNION_START + timedelta(minutes=5)
        for person in db.session.scalars(select(Guest)):
            person.consent_digest = True
        db.session.commit()
        assert cancellations.cancel(db.session.get(Guest, ids["Cy"]))
    sign_in()
    return {"slug": slug, "ids": ids, "token": token, "url": f"/events/{slug}"}


def names(reply) -> list[str]:
    """The guests' names on a page or fragment of the guest list, in order."""
    text = readable(reply)
    return [n for n in ("Ada Tester", "Bob Tester", "Cy Tester") if n in text]


def test_the_guest_list_marks_the_cancelled_guest(client, gave_back):
    """Everyone: all three, Cy's row tagged "Cancelled"; the filter offers "Cancelled"."""
    page = client.get(gave_back["url"])
    html = page.get_data(as_text=True)
    assert names(page) == ["Ada Tester", "Bob Tester", "Cy Tester"]
    row = html[html.index("Cy Tester") :].split("</tr>")[0]
    assert '<span class="tag bad">Cancelled</span>' in row
    assert '<option value="cancelled">Cancelled</option>' in html


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("cancelled", ["Cy Tester"]),
        ("out", ["Bob Tester"]),
        ("in", ["Ada Tester"]),
        ("all", ["Ada Tester", "Bob Tester", "Cy Tester"]),
    ],
)
def test_the_status_filter_as_fragment_and_page(client, gave_back, status, shown):
    """ "Cancelled" shows only Cy, "Not yet" leaves Cy out: htmx gets the list, a browser the
    page with the filter chosen."""
    path = gave_back["url"] + f"/guests?status={status}"
    fragment = client.get(path, headers=HTMX)
    page = client.get(path)
    assert "<html" not in fragment.get_data(as_text=True) and names(fragment) == shown
    assert "<html" in page.get_data(as_text=True) and names(page) == shown
    assert f'<option value="{status}" selected>' in page.get_data(as_text=True)


def test_the_event_page_counts_only_who_is_coming(client, gave_back):
    """ "1 of 2 checked in" (Cy is not expected), on the page and in the polled fragment."""
    assert "1 of 2 checked in" in readable(client.get(gave_back["url"]))
    fragment = client.get(gave_back["url"] + "/arrivals", headers=HTMX)
    assert "<html" not in fragment.get_data(as_text=True)
    assert "1 of 2 checked in" in readable(fragment)
    full = client.get(gave_back["url"] + "/arrivals")
    assert "<html" in full.get_data(as_text=True) and "1 of 2 checked in" in readable(full)


def test_the_doors_stats_expect_two(client, gave_back):
    """The door API's stats: two expected, one in."""
    reply = client.get(
        f"/api/v1/events/{gave_back['slug']}/stats",
        headers={"Authorization": f"Bearer {gave_back['token']}"},
    )
    assert reply.get_json() == {"expected": 2, "admitted": 1}


def test_badges_leave_the_cancelled_guest_out_unless_picked(app, gave_back):
    """ "Everyone" and "Not printed yet" print Ada and Bob; Cy only when picked by name."""
    ids = gave_back["ids"]
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == gave_back["slug"]))
        assert set(jobs.resolve(event, "everyone")) == {ids["Ada"], ids["Bob"]}
        assert set(jobs.resolve(event, "walk_ins")) == {ids["Ada"], ids["Bob"]}
        assert jobs.counts(event) == {"everyone": 2, "walk_ins": 2}
        assert jobs.resolve(event, "attendee", ids["Cy"]) == [ids["Cy"]]


def test_the_badge_page_says_two(client, gave_back):
    """The badge page's choice counts two guests."""
    assert "All 2 guests on the list" in readable(client.get(gave_back["url"] + "/badges"))


def test_no_digest_for_the_cancelled_guest(app, gave_back):
    """Digests are queued for Ada and Bob only; Cy, cancelled after queueing, is skipped."""
    ids = gave_back["ids"]
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == gave_back["slug"]))
        assert digest_outbox.queue_digests(event) == 2
        queued = set(db.session.scalars(select(Outbox.attendee_id).where(Outbox.kind == "digest")))
        assert queued == {ids["Ada"], ids["Bob"]}
        cy = db.session.get(Guest, ids["Cy"])
        assert content.skip_reason(cy) == "Cancelled: gave their place back before the event."
        assert content.skip_reason(db.session.get(Guest, ids["Bob"])) == ""


def test_the_cancelled_filter_works_without_javascript(client, gave_back):
    """The same endpoint answers a plain GET form (no htmx) with the whole page."""
    token = csrf_token(client, gave_back["url"])
    assert token  # the page rendered for the signed-in organizer
    reply = client.get(gave_back["url"] + "/guests", query_string={"status": "cancelled"})
    assert reply.status_code == 200 and names(reply) == ["Cy Tester"]
