"""The digest's fixtures: an SMTP server that answers as scripted (with no script it answers as
support/mailserver.py's Inbox does), and the party of support/digests.py with the app sending to it.
A test module that needs another party or inbox defines its own."""

import pytest
from support.digests import ScriptedInbox, make_party, start_on


@pytest.fixture
def inbox():
    """A running SMTP server on 127.0.0.1 that answers as scripted."""
    box = ScriptedInbox()
    controller = start_on(box)
    yield box
    controller.stop()


@pytest.fixture
def party(app, inbox, make_event, make_guest, set_guest):
    """The party of support/digests.py, the app sending to the test server."""
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{inbox.port}"
    return make_party(make_event, make_guest, set_guest, app)
