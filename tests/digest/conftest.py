"""The digest's world: the party of support/digests.py, sending to the inbox; Ada, Grace and Bob."""

import pytest
from support.digests import make_party


@pytest.fixture
def party(app, inbox, make_event, make_guest, set_guest):
    """The party of support/digests.py, the app sending to the test server; its digest time is
    weeks ahead (the morning after REUNION_DAY)."""
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}"
    return make_party(make_event, make_guest, set_guest, app)


@pytest.fixture
def people(app, make_event, make_guest, set_guest):
    """Ada and Grace at Fall Reunion, Bob at another event, all in and wanting the digest: ids
    by first name."""
    slug = make_event("Fall Reunion")
    ada, _ = make_guest(slug, "Ada Lovelace", 2009, email="ada@example.org")
    grace, _ = make_guest(slug, "Grace Hopper", 1991, email="grace@example.org")
    bob, _ = make_guest(make_event("Spring Gala"), "Bob Other", 2001, email="bob@example.org")
    for person in (ada, grace, bob):
        set_guest(person, checked_in=True, consent_digest=True, consent_share_contact=True)
    return {"ada": ada, "grace": grace, "bob": bob}
