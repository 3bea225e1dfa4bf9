"""Spam protection with no third-party service: a honeypot field, a minimum fill time, and rate
limits (declared on the view, views.py).

- The honeypot is a text field people never see (moved off-screen by CSS, labelled "leave this
  empty" for screen readers, out of the tab order, no autofill). Bots fill every field; a filled
  one is answered exactly as a real registration is, and nothing is saved or sent.
- The form carries the time it was shown, signed with SECRET_KEY (itsdangerous), so it cannot
  be forged. A form sent back sooner than REGISTRATION_MIN_SECONDS (3 s by default) is refused
  with a clear "please take a moment" and kept as typed; people need longer than that.
"""

import time

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "checkin.registration-form"
MAX_AGE = 24 * 3600  # a form left open longer than a day is shown again, fresh


def stamp(event_id: int) -> str:
    """A signed "this form was shown now, for this event"."""
    return _serializer().dumps(event_id)


def seconds_open(value: str, event_id: int) -> float | None:
    """How long ago the stamp was made, or None for a stamp that is forged, old or elsewhere."""
    try:
        shown_for, when = _serializer().loads(value or "", max_age=MAX_AGE, return_timestamp=True)
    except (BadSignature, SignatureExpired):
        return None
    if shown_for != event_id:
        return None
    return time.time() - when.timestamp()


def too_fast(seconds: float) -> bool:
    """Sent back sooner than a person could have filled it in."""
    return seconds < current_app.config["REGISTRATION_MIN_SECONDS"]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)
