"""Fixtures for tests that send mail: a running SMTP server, and the app pointed at it."""

import pytest

from support.mailserver import Inbox, start


@pytest.fixture
def inbox():
    """A running SMTP server on 127.0.0.1; its Inbox records what arrives and answers as told."""
    box = Inbox()
    controller = start(box)
    yield box
    box.release.set()  # a message held by stall_at must not keep the server from stopping
    controller.stop()


@pytest.fixture
def smtp_url(app, inbox):
    """The app sends its mail to the test SMTP server."""
    url = f"smtp://127.0.0.1:{inbox.port}"
    app.config["SMTP_URL"] = url
    return url
