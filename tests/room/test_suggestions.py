"""Who to meet here and what two people share: room/suggestions.py over the matching engine."""

import uuid

import pytest

from checkin.extensions import db
from checkin.models import Guest
from checkin.room import cards, suggestions

HALL = "Watson Hall"


@pytest.fixture
def hall(app, make_event, make_guest, set_guest):
    """Ada, and people who share her hall: in the room or not, findable or not; another event."""
    slug = make_event()

    def add(name, slug=slug, checked_in=True, findable=True, **profile):
        attendee_id, _ = make_guest(slug, name, class_year=None)
        profile.setdefault("residence_hall", HALL)
        set_guest(attendee_id, checked_in=checked_in, consent_findable=findable, **profile)
        return attendee_id

    people = {
        "ada": add("Ada Lovelace", wants_help_with="product management"),
        "grace": add("Grace Hopper", can_help_with="PM", employer="Navy"),
        "alan": add("Alan Turing", checked_in=False),
        "barbara": add("Barbara Liskov", findable=False, employer="MIT"),
        "nobody": add("Nora Nobody", residence_hall=""),  # shares nothing with Ada
    }
    other = make_event("Spring Gala", email="other@example.org")
    people["edsger"] = add("Edsger Dijkstra", slug=other)
    people["add"] = add
    return people


def me(attendee_id) -> Guest:
    return db.session.get(Guest, attendee_id)


def edit(attendee_id, **fields) -> None:
    """Change a guest in this context's session and commit, as a request would."""
    person = me(attendee_id)
    for name, value in fields.items():
        setattr(person, name, value)
    db.session.commit()


def later() -> None:
    """End this context's read transaction, so it sees rows other contexts wrote since."""
    db.session.commit()


def names(found) -> list[str]:
    return [entry["name"] for entry in found]


def test_only_checked_in_findable_people_of_my_event_are_suggested(ctx, hall):
    """Grace is; Alan (not in), Barbara (not findable), Edsger (elsewhere) and I are not."""
    assert names(suggestions.suggestions(me(hall["ada"]))) == ["Grace Hopper"]


def test_suggestions_carry_public_fields_and_reasons_in_words(ctx, hall):
    """Each entry has the public profile and its reasons, in words."""
    (grace,) = suggestions.suggestions(me(hall["ada"]))
    assert grace["id"] == hall["grace"] and grace["employer"] == "Navy"
    assert set(grace["reasons"]) == {
        f"You both lived in {HALL}",
        "Grace can help with product management",
    }
    assert "email" not in grace


def test_people_already_on_my_cards_are_not_suggested(ctx, hall):
    """Once Ada recorded Grace, Grace drops out of her suggestions."""
    cards.record(me(hall["ada"]), me(hall["grace"]), str(uuid.uuid4()))
    assert suggestions.suggestions(me(hall["ada"])) == []


def test_at_most_five_by_default(ctx, hall):
    """Eight more hall-mates in the room: five suggestions (or fewer when asked)."""
    for i in range(8):
        hall["add"](f"Hallmate {i}")
    later()
    assert len(suggestions.suggestions(me(hall["ada"]), fresh=True)) == 5
    assert len(suggestions.suggestions(me(hall["ada"]), limit=2)) == 2


def test_unticking_findable_counts_at_once(ctx, hall):
    """Who may be suggested is read fresh: no waiting for the cache."""
    ada = me(hall["ada"])
    assert names(suggestions.suggestions(ada)) == ["Grace Hopper"]
    me(hall["grace"]).consent_findable = False
    db.session.commit()
    assert suggestions.suggestions(ada) == []


def test_a_check_in_counts_at_once(ctx, hall):
    """Alan checking in makes him a suggestion on the next request."""
    ada = me(hall["ada"])
    assert "Alan Turing" not in names(suggestions.suggestions(ada))
    edit(hall["alan"], checked_in_at=me(hall["grace"]).checked_in_at)
    assert "Alan Turing" in names(suggestions.suggestions(ada))


def test_a_fresh_read_sees_profile_edits(ctx, hall):
    """fresh=True rebuilds the matcher, so a just-edited profile gives its reasons."""
    ada = me(hall["ada"])
    suggestions.suggestions(ada)
    edit(hall["nobody"], interests="Rowing")
    edit(hall["ada"], interests="rowing")
    found = {e["name"]: e["reasons"] for e in suggestions.suggestions(ada, fresh=True)}
    assert found["Nora Nobody"] == ["Both into rowing"]


def test_the_matcher_is_kept_per_event_until_the_guest_list_changes(ctx, hall):
    """The same matcher answers twice; a new guest, fresh=True or clear() build another."""
    event_id = me(hall["ada"]).event_id
    first = suggestions.matcher(event_id)
    assert suggestions.matcher(event_id) is first
    hall["add"]("Walk In")
    later()
    second = suggestions.matcher(event_id)
    assert second is not first
    assert suggestions.matcher(event_id, fresh=True) is not second
    suggestions.clear()
    assert suggestions.matcher(event_id) is not second


def test_shared_chips_name_every_shared_fact(ctx, hall):
    """Grace and Ada: the hall and mentoring, each as a chip from Ada's side."""
    chips = suggestions.shared(me(hall["ada"]), me(hall["grace"]))
    assert set(chips) == {f"You both lived in {HALL}", "Grace can help with product management"}
    assert set(suggestions.shared(me(hall["grace"]), me(hall["ada"]))) == {
        "You can help Ada with product management",
        f"You both lived in {HALL}",
    }


@pytest.mark.parametrize("other", ["barbara", "ada", "edsger"])
def test_no_chips_for_a_private_profile_myself_or_another_event(ctx, hall, other):
    """Barbara is not findable, so her profile (and what we share) stays private."""
    assert suggestions.shared(me(hall["ada"]), me(hall[other])) == []
