"""The door's fixtures: an event with a guest and a door pass, as the door API's tests use it."""

import pytest


@pytest.fixture
def door(make_event, make_guest, make_pass):
    """An event with one guest and a door pass, and another event with its own pass."""
    slug = make_event()
    attendee_id, code = make_guest(slug, "Ada Lovelace", 2009)
    other = make_event("Spring Gala")
    return {
        "slug": slug,
        "code": code,
        "id": attendee_id,
        "token": make_pass(slug, "Door 2"),
        "other_slug": other,
        "other_token": make_pass(other, "Gala door"),
    }
