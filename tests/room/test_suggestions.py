"""Who to meet here and what two people share: room/suggestions.py over the matching engine."""

import uuid

import pytest

from checkin.extensions import db
from checkin.models import Guest
from checkin.room import cards, suggestions

HALL = "Watson Hall"


@pytest.fixture
def event(app, make_event, make_guest, set_guest):
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


def test_only_checked_in_findable_people_of_my_event_are_suggested(ctx, event):
    """Grace is; Alan (not in), Barbara (not findable), Edsger (elsewhere) and I are not."""
    assert names(suggestions.suggestions(me(event["ada"]))) == ["Grace Hopper"]


def test_suggestions_carry_public_fields_and_reasons_in_words(ctx, event):
    """Each entry has the public profile and its reasons, in words."""
    (grace,) = suggestions.suggestions(me(event["ada"]))
    assert grace["id"] == event["grace"] and grace["employer"] == "Navy"
    assert set(grace["reasons"]) == {
        f"You both lived in {HALL}",
        "Grace can help with product management",
    }
    assert "email" not in grace


def test_people_already_on_my_cards_are_not_suggested(ctx, event):
    """Once Ada recorded Grace, Grace drops out of her suggestions."""
    cards.record(me(event["ada"]), me(event["grace"]), str(uuid.uuid4()))
    assert suggestions.suggestions(me(event["ada"])) == []


def test_at_most_five_by_default(ctx, event):
    """Eight more hall-mates in the room: five suggestions (or fewer when asked)."""
    for i in range(8):
        event["add"](f"Hallmate {i}")
    later()
    assert len(suggestions.suggestions(me(event["ada"]), fresh=True)) == 5
    assert len(suggestions.suggestions(me(event["ada"]), limit=2)) == 2


def test_unticking_findable_counts_at_once(ctx, event):
    """Who may be suggested is read fresh: no waiting for the cache."""
    ada = me(event["ada"])
    assert names(suggestions.suggestions(ada)) == ["Grace Hopper"]
    me(event["grace"]).consent_findable = False
    db.session.commit()
    assert suggestions.suggestions(ada) == []


def test_a_check_in_counts_at_once(ctx, event):
    """Alan checking in makes him a suggestion on the next request."""
    ada = me(event["ada"])
    assert "Alan Turing" not in names(suggestions.suggestions(ada))
    edit(event["alan"], checked_in_at=me(event["grace"]).checked_in_at)
    assert "Alan Turing" in names(suggestions.suggestions(ada))


def test_a_fresh_read_sees_profile_edits(ctx, event):
    """fresh=True rebuilds the matcher, so a just-edited profile gives its reasons."""
    ada = me(event["ada"])
    suggestions.suggestions(ada)
    edit(event["nobody"], interests="Rowing")
    edit(event["ada"], interests="rowing")
    found = {e["name"]: e["reasons"] for e in suggestions.suggestions(ada, fresh=True)}
    assert found["Nora Nobody"] == ["Both into rowing"]


def test_the_matcher_is_kept_per_event_until_the_guest_list_changes(ctx, event):
    """The same matcher answers twice; a new guest, fresh=True or clear() build another."""
    event_id = me(event["ada"]).event_id
    first = suggestions.matcher(event_id)
    assert suggestions.matcher(event_id) is first
    event["add"]("Walk In")
    later()
    second = suggestions.matcher(event_id)
    assert second is not first
    assert suggestions.matcher(event_id, fresh=True) is not second
    suggestions.clear()
    assert suggestions.matcher(event_id) is not second


def test_shared_chips_name_every_shared_fact(ctx, event):
    """Grace and Ada: the hall and mentoring, each as a chip from Ada's side."""
    chips = suggestions.shared(me(event["ada"]), me(event["grace"]))
    assert set(chips) == {f"You both lived in {HALL}", "Grace can help with product management"}
    assert set(suggestions.shared(me(event["grace"]), me(event["ada"]))) == {
        "You can help Ada with product management",
        f"You both lived in {HALL}",
    }


@pytest.mark.parametrize("other", ["barbara", "ada", "edsger"])
def test_no_chips_for_a_private_profile_myself_or_another_event(ctx, event, other):
    """Barbara is not findable, so her profile (and what we share) stays private."""
    assert suggestions.shared(me(event["ada"]), me(event[other])) == []
