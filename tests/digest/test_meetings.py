""" "I'd like to meet" and "Connect back" in the domain: one wish per pair, a match only when
both ask, never across events; unsubscribing is idempotent."""

import threading

import pytest
from sqlalchemy import func, select

from checkin.digest import meetings
from checkin.extensions import db
from checkin.mail import links, subscriptions
from checkin.models import Guest, MeetRequest, Outbox
from checkin.room import cards


def get(name_or_id, people):
    return db.session.get(Guest, people.get(name_or_id, name_or_id))


def wishes() -> list[tuple[int, int]]:
    return sorted(db.session.execute(select(MeetRequest.requester_id, MeetRequest.wanted_id)))


def test_one_sided_wish_is_recorded_and_not_mutual(ctx, people):
    """Ada asks: one row, not mutual, nothing queued."""
    assert meetings.request(get("ada", people), get("grace", people)) is False
    assert wishes() == [(people["ada"], people["grace"])]
    assert meetings.asked(people["ada"], people["grace"])
    assert not meetings.asked(people["grace"], people["ada"])
    assert db.session.scalar(select(func.count()).select_from(Outbox)) == 0


def test_asking_again_records_nothing_new(ctx, people):
    """A repeated wish is the same single row."""
    for _ in range(3):
        meetings.request(get("ada", people), get("grace", people))
    assert wishes() == [(people["ada"], people["grace"])]


def test_both_asking_is_mutual_and_queues_one_introduction_each(ctx, people, inbox, smtp_url):
    """Grace asks back: mutual, one "match:" row for each, and a repeat adds none."""
    ada, grace = get("ada", people), get("grace", people)
    meetings.request(ada, grace)
    assert meetings.request(grace, ada) is True
    assert meetings.request(grace, ada) is True  # asking again: still mutual, nothing new
    rows = sorted(db.session.execute(select(Outbox.attendee_id, Outbox.kind)))
    assert rows == sorted([(ada.id, f"match:{grace.id}"), (grace.id, f"match:{ada.id}")])
    assert len(inbox.messages) == 2


@pytest.mark.parametrize("pair", [("ada", "bob"), ("ada", "ada")])
def test_wishes_stay_within_one_event_and_between_two_people(ctx, people, pair):
    """Another event's guest, or oneself, is refused and nothing is recorded."""
    with pytest.raises(ValueError):
        meetings.request(get(pair[0], people), get(pair[1], people))
    assert wishes() == []


def test_racing_wishes_on_threads_record_each_once(app, people):
    """Both ask at once, twice each, on four threads: two rows, and the match is seen."""
    barrier, results = threading.Barrier(4), []

    def ask(me, other):
        with app.app_context():
            barrier.wait()
            try:
                results.append(meetings.request(get(me, people), get(other, people)))
            except Exception as error:  # reported by the assertion below
                results.append(error)

    threads = [
        threading.Thread(target=ask, args=pair) for pair in [("ada", "grace"), ("grace", "ada")] * 2
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(r, bool) for r in results), results
    assert any(results)  # at least the later of the two saw the other's wish
    with app.app_context():
        assert len(wishes()) == 2
        assert db.session.scalar(select(func.count()).select_from(Outbox)) == 2


def test_a_link_names_two_people_of_one_event(app, people):
    """pair() gives both people for a good token; None for another event, oneself or garbage."""
    with app.test_request_context():
        ada, grace, bob = (get(n, people) for n in ("ada", "grace", "bob"))
        assert meetings.pair("meet", links.token("meet", ada, grace)) == (ada, grace)
        assert meetings.pair("meet", links.token("meet", ada, bob)) is None
        assert meetings.pair("meet", links.token("meet", ada, ada)) is None
        assert meetings.pair("meet", links.token("connect", ada, grace)) is None
        assert meetings.pair("connect", links.token("unsubscribe", ada)) is None
        assert meetings.pair("meet", "garbage") is None


def test_connect_back_only_for_someone_who_recorded_you(ctx, people):
    """Before Grace records Ada: refused; after: one card by Ada "via back", once."""
    ada, grace = get("ada", people), get("grace", people)
    with pytest.raises(cards.CardError):
        meetings.connect_back(ada, grace)
    cards.record(grace, ada, "grace-records-ada")
    assert meetings.connect_back(ada, grace).created is True
    again = meetings.connect_back(ada, grace)
    assert again.created is False and again.card.via == "back"
    assert [c.subject_id for c in cards.mine(ada)] == [grace.id]


def test_unsubscribe_is_idempotent_and_undone_by_resubscribe(ctx, people):
    """The first time is kept on a repeat; resubscribing clears it; others are untouched."""
    ada = get("ada", people)
    subscriptions.unsubscribe(ada)
    first = ada.unsubscribed_at
    assert first is not None
    subscriptions.unsubscribe(ada)
    assert get("ada", people).unsubscribed_at == first
    assert get("grace", people).unsubscribed_at is None
    subscriptions.resubscribe(ada)
    assert get("ada", people).unsubscribed_at is None


def test_an_unsubscribe_link_names_its_reader(app, people):
    """reader_of() finds the guest of a good token, None for a forged or two-person one."""
    with app.test_request_context():
        ada, grace = get("ada", people), get("grace", people)
        assert subscriptions.reader_of(links.token("unsubscribe", ada)) == ada
        assert subscriptions.reader_of(links.token("unsubscribe", ada) + "x") is None
        assert subscriptions.reader_of(links.token("meet", ada, grace)) is None
