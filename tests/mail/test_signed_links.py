"""Signed links in emails: bound to one reader and one purpose, refused when forged."""

from types import SimpleNamespace

import pytest

from checkin.mail import links

READER, OTHER = SimpleNamespace(id=11), SimpleNamespace(id=42)


def token_of(url: str) -> str:
    """The token at the end of a mail link."""
    return url.rsplit("/", 1)[1]


def test_links_live_under_base_url(ctx):
    """Each link is absolute, under BASE_URL, on its documented path."""
    assert links.unsubscribe_url(READER).startswith("http://127.0.0.1:5000/mail/unsubscribe/")
    assert links.connect_url(READER, OTHER).startswith("http://127.0.0.1:5000/mail/connect/")
    assert links.meet_url(READER, OTHER).startswith("http://127.0.0.1:5000/mail/meet/")


def test_a_token_reads_back_for_its_own_purpose_only(ctx):
    """A meet token gives back both ids, and means nothing as an unsubscribe or connect token."""
    token = token_of(links.meet_url(READER, OTHER))
    assert links.read("meet", token) == (11, 42)
    assert links.read("unsubscribe", token) is None
    assert links.read("connect", token) is None
    assert links.read("unsubscribe", token_of(links.unsubscribe_url(READER))) == (
        11,
        None,
    )


@pytest.mark.parametrize(
    "garbled", ["", "x", "WzExXQ.forged", "WzEyXQ" + "." + "A" * 43, "../../etc/passwd", "é" * 30]
)
def test_forged_or_garbled_tokens_are_refused(ctx, garbled):
    """Anything not signed by this server reads as None."""
    assert links.read("unsubscribe", garbled) is None


def test_changing_the_id_breaks_the_signature(ctx):
    """Swapping the payload for another reader's id is refused."""
    token = token_of(links.unsubscribe_url(READER))
    payload, signature = token.split(".", 1)
    other_payload = token_of(links.unsubscribe_url(OTHER)).split(".", 1)[0]
    assert links.read("unsubscribe", f"{other_payload}.{signature}") is None
    assert links.read("unsubscribe", f"{payload}.{signature}") == (11, None)


def test_another_secret_key_refuses_the_token(app):
    """A token made under one SECRET_KEY is worthless under another."""
    with app.app_context():
        token = token_of(links.unsubscribe_url(READER))
        app.config["SECRET_KEY"] = "a-different-secret-key-0123456789abcdef"
        assert links.read("unsubscribe", token) is None
