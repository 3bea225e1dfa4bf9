"""Links in emails that act for the reader without a session: unsubscribe, connect back, meet.

Each carries the reader's guest id (and the other person's) signed with SECRET_KEY
(itsdangerous, HMAC-SHA256, one salt per purpose), so it is unguessable, bound to that reader,
and needs nothing stored. A GET of any of them only shows a confirm button; the POST acts.
"""

import hashlib
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..models import Guest

PURPOSES = ("unsubscribe", "connect", "meet")
# The routes (mail/views.py uses these): emails are built in the worker, outside any
# request, and url_for per link would cost more than the rest of a digest.
PATHS = {
    "unsubscribe": "/mail/unsubscribe/<token>",
    "connect": "/mail/connect/<token>",
    "meet": "/mail/meet/<token>",
}


def _serializer(purpose: str) -> URLSafeSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown mail link purpose: {purpose}")
    return _made(current_app.config["SECRET_KEY"], purpose)


@lru_cache(maxsize=16)
def _made(secret_key: str, purpose: str) -> URLSafeSerializer:
    """One serializer per key and purpose: a digest signs dozens of links."""
    return URLSafeSerializer(
        secret_key,
        salt=f"checkin.mail.transport.{purpose}",
        signer_kwargs={"digest_method": hashlib.sha256},
    )


def token(purpose: str, reader: Guest, other: Guest | None = None) -> str:
    """The signed token for reader (and the other person, for connect and meet)."""
    payload = [reader.id] if other is None else [reader.id, other.id]
    return _serializer(purpose).dumps(payload)


def read(purpose: str, token_: str) -> tuple[int, int | None] | None:
    """(reader id, other id or None) from a token, or None for a forged or garbled one."""
    try:
        payload = _serializer(purpose).loads(token_ or "")
    except BadSignature:
        return None
    if not isinstance(payload, list) or not 1 <= len(payload) <= 2:
        return None
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in payload):
        return None
    return payload[0], (payload[1] if len(payload) == 2 else None)


def unsubscribe_url(reader: Guest) -> str:
    """The https URL in List-Unsubscribe and the footer (POST unsubscribes, GET confirms)."""
    return _absolute("unsubscribe", token("unsubscribe", reader))


def connect_url(reader: Guest, other: Guest) -> str:
    """ "Connect back": record other, who recorded the reader, as someone the reader met."""
    return _absolute("connect", token("connect", reader, other))


def meet_url(reader: Guest, other: Guest) -> str:
    """ "I'd like to meet": a wish revealed to the other only if they ask too."""
    return _absolute("meet", token("meet", reader, other))


def _absolute(purpose: str, token_: str) -> str:
    """The link under BASE_URL."""
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + PATHS[purpose].replace("<token>", token_)
