"""Unsubscribing holds for the address at every event of the same organizer, and only theirs."""

import pytest

from checkin.extensions import db
from checkin.mail import subscriptions
from checkin.models import Guest


@pytest.fixture
def ada_thrice(make_event, make_guest):
    """Ada at two events of one organizer (her address typed differently) and at another's."""
    fall = make_event("Fall Reunion")
    spring = make_event("Spring Gala")
    other = make_event("Rival Reunion", email="someone-else@example.org")
    return {
        "fall": make_guest(fall, "Ada Lovelace", email="ada@example.org")[0],
        "spring": make_guest(spring, "Ada Lovelace", email=" Ada@Example.org ")[0],
        "other": make_guest(other, "Ada Lovelace", email="ada@example.org")[0],
        "zoe": make_guest(spring, "Zoe Example", email="zoe@example.org")[0],
    }


def state(ids: dict) -> dict:
    """Whether each of the rows counts as unsubscribed now."""
    return {k: subscriptions.is_unsubscribed(db.session.get(Guest, i)) for k, i in ids.items()}


def test_an_unsubscribe_covers_the_organizers_other_events_only(ctx, ada_thrice):
    """Ada says no at the fall reunion: the spring gala (same organizer) holds too; another
    organizer's event and another person are untouched."""
    subscriptions.unsubscribe(db.session.get(Guest, ada_thrice["fall"]))
    assert state(ada_thrice) == {"fall": True, "spring": True, "other": False, "zoe": False}


def test_subscribing_again_clears_it_everywhere(ctx, ada_thrice):
    """Subscribing again from the spring gala's page undoes the fall reunion's unsubscribe."""
    subscriptions.unsubscribe(db.session.get(Guest, ada_thrice["fall"]))
    subscriptions.resubscribe(db.session.get(Guest, ada_thrice["spring"]))
    assert not any(state(ada_thrice).values())


def test_without_an_address_it_is_just_that_row(ctx, make_event, make_guest):
    """Two guests with no email: one unsubscribing says nothing about the other."""
    slug = make_event("Fall Reunion")
    first, second = make_guest(slug, "A One")[0], make_guest(slug, "B Two")[0]
    for attendee_id in (first, second):
        db.session.get(Guest, attendee_id).email = ""
    db.session.commit()
    subscriptions.unsubscribe(db.session.get(Guest, first))
    assert state({"first": first, "second": second}) == {"first": True, "second": False}


def test_the_apps_digest_box_shows_the_unsubscribe_and_ticking_it_undoes_it(ctx, ada_thrice):
    """After unsubscribing, Ada's "send me the digest" box is unticked; ticking it again on her
    profile is an opt-in that clears the unsubscribe at every event of the organizer."""
    from checkin.room import profiles

    ada = db.session.get(Guest, ada_thrice["spring"])
    ada.consent_digest = True
    db.session.commit()
    subscriptions.unsubscribe(ada)
    assert ada.consent_digest is False and subscriptions.is_unsubscribed(ada)
    profiles.update(ada, {"consent_digest": True})
    assert ada.consent_digest is True and not any(state(ada_thrice).values())


def test_saving_the_profile_with_the_box_still_unticked_keeps_the_unsubscribe(ctx, ada_thrice):
    """Editing other fields does not quietly subscribe anyone again."""
    from checkin.room import profiles

    ada = db.session.get(Guest, ada_thrice["fall"])
    subscriptions.unsubscribe(ada)
    profiles.update(ada, {"consent_digest": False, "city": "Lisbon"})
    assert subscriptions.is_unsubscribed(ada)
