"""Cards as a domain: one card per person met, idempotent submissions, consent on what shows."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from checkin.events import tickets
from checkin.extensions import db
from checkin.models import Card, Guest, utcnow
from checkin.room import cards


def nonce() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def people_with_codes(app, make_event, make_guest, set_guest):
    """Ada, Grace (in the room, findable), Alan (neither) and Edsger at another event."""
    slug = make_event()
    ada, ada_code = make_guest(slug, "Ada Lovelace")
    grace, grace_code = make_guest(slug, "Grace Hopper")
    alan, alan_code = make_guest(slug, "Alan Turing")
    set_guest(grace, consent_findable=True, checked_in=True, employer="Navy")
    set_guest(alan, employer="Bletchley Park")
    other = make_event("Spring Gala", email="other@example.org")
    edsger, edsger_code = make_guest(other, "Edsger Dijkstra")
    set_guest(edsger, consent_findable=True, checked_in=True)
    ids = {"ada": ada, "grace": grace, "alan": alan, "edsger": edsger}
    codes = {"ada": ada_code, "grace": grace_code, "alan": alan_code, "edsger": edsger_code}
    return ids, codes


def person(attendee_id) -> Guest:
    return db.session.get(Guest, attendee_id)


def card_count() -> int:
    return db.session.scalar(select(func.count(Card.id)))


def test_recording_makes_one_card(ctx, people_with_codes):
    """The first submission makes the card, with its note, tags and star."""
    ids, _ = people_with_codes
    done = cards.record(person(ids["ada"]), person(ids["grace"]), nonce(), "Navy", ["intro"], True)
    assert done.created
    assert (done.card.note, done.card.tags, done.card.starred) == ("Navy", ["intro"], True)
    assert card_count() == 1


def test_the_same_nonce_twice_records_once(ctx, people_with_codes):
    """A retried submission answers the card the first one made."""
    ids, _ = people_with_codes
    me, them, sent = person(ids["ada"]), person(ids["grace"]), nonce()
    first = cards.record(me, them, sent, "first")
    again = cards.record(me, them, sent, "second")
    assert not again.created and again.card.id == first.card.id
    assert again.card.note == "first" and card_count() == 1


def test_new_nonces_for_the_same_person_keep_one_card(ctx, people_with_codes):
    """Meeting someone again does not make a second card."""
    ids, _ = people_with_codes
    me, them = person(ids["ada"]), person(ids["grace"])
    first = cards.record(me, them, nonce())
    assert cards.record(me, them, nonce(), via="scan").card.id == first.card.id
    assert card_count() == 1


def test_recording_yourself_is_refused(ctx, people_with_codes):
    """My own code is not someone I met."""
    ids, _ = people_with_codes
    with pytest.raises(cards.CardError) as refused:
        cards.record(person(ids["ada"]), person(ids["ada"]), nonce())
    assert refused.value.status == 422


def test_someone_from_another_event_is_refused(ctx, people_with_codes):
    """The domain refuses a card across events even if a caller skipped resolving."""
    ids, _ = people_with_codes
    with pytest.raises(cards.CardError) as refused:
        cards.record(person(ids["ada"]), person(ids["edsger"]), nonce())
    assert refused.value.status == 404 and card_count() == 0


@pytest.mark.parametrize("who", ["grace", "alan"])
def test_codes_of_my_event_resolve_to_the_person(ctx, people_with_codes, who):
    """Any QR of my event names its guest, findable or not (they handed it over)."""
    ids, codes = people_with_codes
    assert cards.resolve_code(person(ids["ada"]), codes[who]).id == ids[who]


@pytest.mark.parametrize("scanned", ["edsger", "garbage", "revoked", ""])
def test_other_codes_are_unknown(ctx, people_with_codes, scanned):
    """Another event's code, no one's, and a reissued (revoked) code are all unknown: 404."""
    ids, codes = people_with_codes
    text = {"edsger": codes["edsger"], "garbage": "A" * 32, "revoked": codes["grace"], "": ""}
    if scanned == "revoked":
        tickets.issue(person(ids["grace"]))
        db.session.commit()
    with pytest.raises(cards.CardError) as refused:
        cards.resolve_code(person(ids["ada"]), text[scanned])
    assert refused.value.status == 404


@pytest.mark.parametrize("value", ["alan", "edsger", True, "1", 0, -1, 2**31, 10**30, None])
def test_ids_outside_my_pick_list_are_unknown(ctx, people_with_codes, value):
    """Not findable, another event's, or not an id at all: 404, never a database error."""
    ids, _ = people_with_codes
    with pytest.raises(cards.CardError) as refused:
        cards.resolve_id(person(ids["ada"]), ids.get(value, value))
    assert refused.value.status == 404


def test_someone_who_recorded_me_can_be_picked_to_connect_back(ctx, people_with_codes):
    """Alan is not findable, but he recorded Ada, so she can pick him to connect back."""
    ids, _ = people_with_codes
    ada, alan = person(ids["ada"]), person(ids["alan"])
    cards.record(alan, ada, nonce())
    assert cards.waiting_for_me(ada) == [alan]
    assert cards.resolve_id(ada, ids["alan"]) == alan
    cards.record(ada, alan, nonce(), via="back")
    assert cards.waiting_for_me(ada) == []
    assert cards.mutual_ids(ada) == {ids["alan"]} and cards.mutual_ids(alan) == {ids["ada"]}


def test_a_card_i_made_stays_reachable_after_they_hide(ctx, people_with_codes):
    """Grace unticking "findable" later does not stop my retry from finding my card."""
    ids, _ = people_with_codes
    ada, grace = person(ids["ada"]), person(ids["grace"])
    first = cards.record(ada, grace, nonce())
    grace.consent_findable = False
    db.session.commit()
    assert cards.resolve_id(ada, ids["grace"]) == grace
    assert cards.record(ada, grace, nonce()).card.id == first.card.id


def test_i_edit_and_delete_only_my_cards(ctx, people_with_codes):
    """update and delete work on my card; on another's they are NotFound and change nothing."""
    ids, _ = people_with_codes
    ada, grace = person(ids["ada"]), person(ids["grace"])
    mine = cards.record(ada, grace, nonce()).card.id
    theirs = cards.record(grace, ada, nonce(), "Grace's note").card.id
    assert cards.update(ada, mine, {"note": " met at the bar ", "tags": ["coffee"]}).note == (
        "met at the bar"
    )
    for attempt in (
        lambda: cards.update(ada, theirs, {"note": "taken"}),
        lambda: cards.delete(ada, theirs),
        lambda: cards.card_of(ada, theirs),
    ):
        with pytest.raises(NotFound):
            attempt()
    cards.delete(ada, mine)
    assert [c.id for c in cards.mine(ada)] == []
    assert db.session.get(Card, theirs).note == "Grace's note"


@pytest.mark.parametrize(
    "mutual, mine, theirs, shown",
    [
        (True, True, True, True),
        (True, True, False, False),
        (True, False, True, False),
        (False, True, True, False),
    ],
)
def test_contact_only_when_mutual_and_both_agreed(
    ctx, people_with_codes, mutual, mine, theirs, shown
):
    """Contact details need a mutual connection and both people's consent."""
    ids, _ = people_with_codes
    ada, grace = person(ids["ada"]), person(ids["grace"])
    ada.consent_share_contact, grace.consent_share_contact = mine, theirs
    grace.linkedin_url = "https://www.linkedin.com/in/grace"
    contact = cards.contact(ada, grace, mutual)
    assert (contact is not None) is shown
    if shown:
        assert contact == {"email": grace.email, "linkedin": "https://www.linkedin.com/in/grace"}


def test_public_fields_hide_the_profile_of_someone_not_findable(ctx, people_with_codes):
    """Alan's employer stays hidden (not findable); Grace's shows (findable)."""
    ids, _ = people_with_codes
    alan, grace = (
        cards.public_fields(person(ids["alan"])),
        cards.public_fields(person(ids["grace"])),
    )
    assert alan["name"] == "Alan Turing" and "employer" not in alan
    assert "Bletchley" not in repr(alan)
    assert grace["employer"] == "Navy"
    assert "email" not in grace and "email" not in alan


@pytest.mark.parametrize(
    "changes",
    [
        {"note": "x" * (cards.NOTE_LIMIT + 1)},
        {"note": ["a list"]},
        {"tags": ["coffee", "unknown-tag"]},
        {"tags": "coffee"},
        {"starred": "true"},
        {"starred": None},
    ],
)
def test_bad_values_are_refused(ctx, people_with_codes, changes):
    """Too-long notes, unknown tags and wrong types raise CardError (422); nothing is saved."""
    ids, _ = people_with_codes
    fields = {"note": "", "tags": [], "starred": False} | changes
    with pytest.raises(cards.CardError) as refused:
        cards.record(person(ids["ada"]), person(ids["grace"]), nonce(), **fields)
    assert refused.value.status == 422 and card_count() == 0


@pytest.mark.parametrize("sent", [None, "", "short", "has spaces in it", "x" * 65, 12345678])
def test_a_nonce_is_required(ctx, people_with_codes, sent):
    """Without a proper nonce a retry could not be recognized: refused."""
    ids, _ = people_with_codes
    with pytest.raises(cards.CardError, match="nonce"):
        cards.record(person(ids["ada"]), person(ids["grace"]), sent)


def test_tags_keep_the_forms_order_and_notes_lose_nul_bytes(ctx, people_with_codes):
    """Tags come back in the quick-tag order once each; NUL bytes (PostgreSQL refuses) go."""
    ids, _ = people_with_codes
    card = cards.record(
        person(ids["ada"]), person(ids["grace"]), nonce(), "a\x00b", ["intro", "coffee", "intro"]
    ).card
    assert card.tags == ["coffee", "intro"] and card.note == "ab"


def together(app, count, work) -> list:
    """Run work(i) in `count` threads, each in its own app context, released at once."""
    barrier = threading.Barrier(count)

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                return work(i)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.parametrize("same_nonce", [True, False])
def test_concurrent_twins_record_one_card(app, people_with_codes, same_nonce):
    """Ten threads recording the same meeting at once: one created, all answer its id."""
    ids, _ = people_with_codes
    shared_nonce = nonce()

    def submit(i):
        done = cards.record(
            person(ids["ada"]), person(ids["grace"]), shared_nonce if same_nonce else nonce()
        )
        return done.created, done.card.id

    results = together(app, 10, submit)
    assert sorted(created for created, _ in results) == [False] * 9 + [True]
    assert len({card_id for _, card_id in results}) == 1
    with app.app_context():
        assert card_count() == 1
        assert db.session.scalar(select(Card.created_at)) <= utcnow()
