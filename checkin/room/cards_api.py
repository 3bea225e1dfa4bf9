"""The cards API: "who you met" cards and suggestions, for the guest signed in here.

Authenticated by the session cookie a personal link starts, so unlike the door API it is not
CSRF-exempt: POST, PATCH and DELETE need the X-CSRFToken header (from <meta name="csrf-token">).
No guest session answers 401 (JSON). A browser with no session at all (its cookie expired
or was cleared) holds no token that could match, so it hears 401 "sign in again" before any token
check, and a phone keeps what it queued; a session sent with a missing or wrong token answers
400 (JSON), as every form in the app does, and GET /me gives the session's current token (a page
kept offline may hold an older one). Another event's slug answers 404, as if it did not exist.
"""

from flask import Blueprint, abort, current_app, jsonify, request, session
from flask_wtf.csrf import generate_csrf

from ..accounts.users import signed_in_guest
from ..extensions import csrf
from ..models import Card, Guest
from . import cards, room_list
from . import suggestions as room

bp = Blueprint("cards_api", __name__, url_prefix="/api/v1")
NEW_FIELDS = {"code", "attendee_id", "note", "tags", "starred", "nonce", "via", "author_id"}
EDIT_FIELDS = {"note", "tags", "starred"}
MAX_CODE = 4096
SIGN_IN = "Sign in with your personal link to use your cards."


@bp.record_once
def _check_csrf_here(state) -> None:
    # The app-wide check would run before ours and answer a browser with no session with a
    # token error; this blueprint looks at the session first, then the token (_session_first).
    csrf.exempt(bp)


@bp.before_request
def _session_first():
    """401 for a browser with no session to forge (no guest, no token); then the CSRF check."""
    no_token = current_app.config["WTF_CSRF_FIELD_NAME"] not in session
    if no_token and signed_in_guest() is None:
        abort(401, SIGN_IN)
    csrf.protect()  # a missing or wrong X-CSRFToken: 400, in JSON like every /api/ error


@bp.errorhandler(cards.CardError)
def _refused(error: cards.CardError):
    return jsonify(error=str(error)), error.status


@bp.post("/events/<slug>/cards")
def record(slug: str):
    """Record meeting someone; the same nonce (or person) again answers the same card."""
    me = _me(slug)
    body = _body(NEW_FIELDS)
    _same_author(me, body.get("author_id"))
    subject, via = _subject(me, body)
    done = cards.record(
        me,
        subject,
        body.get("nonce"),
        note=body.get("note"),
        tags=body.get("tags"),
        starred=body.get("starred", False),
        via=body.get("via", via),
    )
    return jsonify(card_json(me, done.card)), 201 if done.created else 200


@bp.get("/events/<slug>/cards")
def mine(slug: str):
    """My cards (never anyone else's), and who recorded me and waits for a "Connect back"."""
    me = _me(slug)
    mutual = cards.mutual_ids(me)
    return jsonify(
        cards=[card_json(me, card, mutual) for card in cards.mine(me)],
        connect_back=[cards.public_fields(person) for person in cards.waiting_for_me(me)],
    )


@bp.get("/events/<slug>/cards/<int:card_id>")
def show(slug: str, card_id: int):
    """One of my cards."""
    me = _me(slug)
    return jsonify(card_json(me, cards.card_of(me, card_id)))


@bp.patch("/events/<slug>/cards/<int:card_id>")
def edit(slug: str, card_id: int):
    """Change my card's note, tags or star."""
    me = _me(slug)
    cards.card_of(me, card_id)  # someone else's card is not found, whatever the body says
    return jsonify(card_json(me, cards.update(me, card_id, _body(EDIT_FIELDS))))


@bp.delete("/events/<slug>/cards/<int:card_id>")
def delete(slug: str, card_id: int):
    """Delete my card."""
    cards.delete(_me(slug), card_id)
    return "", 204


@bp.get("/events/<slug>/me")
def whoami(slug: str):
    """Who is signed in here, and the CSRF token of this session (a page kept offline may
    hold an older one)."""
    me = _me(slug)
    return jsonify(id=me.id, first_name=me.first_name, csrf_token=generate_csrf())


@bp.get("/events/<slug>/people")
def people(slug: str):
    """The room list a phone keeps to record cards offline: findable, checked-in others here,
    each with the SHA-256 of their ticket code (never the code), and whether I met them."""
    return jsonify(people=room_list.offline_list(_me(slug)))


@bp.get("/events/<slug>/suggestions")
def suggestions(slug: str):
    """Up to five people here to meet, each with reasons in words."""
    return jsonify(suggestions=room.suggestions(_me(slug)))


def card_json(me: Guest, card: Card, mutual: set[int] | None = None) -> dict:
    """A card as its author sees it: the note is theirs; contact only if mutual and agreed."""
    other = card.met  # None as "attendee" once they deleted their data; the note stays
    is_mutual = card.subject_id in (cards.mutual_ids(me) if mutual is None else mutual)
    return {
        "id": card.id,
        "attendee": cards.public_fields(other) if card.subject_id is not None else None,
        "shared": room.shared(me, other),
        "mutual": is_mutual,
        "contact": cards.contact(me, other, is_mutual),
        "note": card.note,
        "tags": list(card.tags or []),
        "starred": card.starred,
        "via": card.via,
        "created_at": card.created_at.isoformat(),
        "updated_at": card.updated_at.isoformat(),
    }


def _me(slug: str) -> Guest:
    """The guest signed in here, for this event; 401 for anyone else, 404 for other events."""
    me = signed_in_guest()
    if me is None:
        abort(401, SIGN_IN)
    if me.event.slug != slug:
        abort(404)
    return me


def _body(allowed: set[str]) -> dict:
    """The JSON object sent, with only the fields this call knows."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise cards.CardError("Send a JSON object.")
    if unknown := sorted(set(body) - allowed):
        known = ", ".join(sorted(allowed))
        raise cards.CardError(f"Unknown field {unknown[0][:40]!r}; use: {known}.")
    return body


def _same_author(me: Guest, author_id) -> None:
    """A card queued on a phone names whose it is: sent in someone else's session, it is
    refused (409) and waits on that phone for its author, rather than landing on the wrong cards."""
    if author_id is None:
        return
    if not cards.is_id(author_id):
        raise cards.CardError("'author_id' must be a whole number.")
    if author_id == me.id:
        return
    raise cards.CardError(
        "This card was saved on this phone by someone else; it waits for them.", 409
    )


def _subject(me: Guest, body: dict) -> tuple[Guest, str]:
    """Whom the card is about, from a scanned code or a picked id, and how they were found."""
    code, attendee_id = body.get("code"), body.get("attendee_id")
    if (code is None) == (attendee_id is None):
        raise cards.CardError("Send either 'code' (the scanned QR text) or 'attendee_id'.")
    if code is not None:
        if not isinstance(code, str) or not code or len(code) > MAX_CODE:
            raise cards.CardError("'code' must be the scanned text, a non-empty string.")
        return cards.resolve_code(me, code), "scan"
    if not cards.is_id(attendee_id):
        raise cards.CardError("'attendee_id' must be a whole number.")
    return cards.resolve_id(me, attendee_id), "list"
