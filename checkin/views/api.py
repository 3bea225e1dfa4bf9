"""The versioned JSON API the door page (and, later, offline phones) use; bearer door passes."""

import re
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, g, jsonify, request

from .. import api_passes, door, openapi
from ..extensions import limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class Invalid(Exception):
    """A request body that does not follow the API description."""


@limiter.request_filter
def _not_rate_limited() -> bool:
    """The door API has no rate limits (bearer passes; 160-bit codes): skip the limiter's work."""
    return request.blueprint == bp.name


@bp.errorhandler(Invalid)
def _invalid(error):
    return jsonify(error=str(error)), 422


@bp.get("/openapi.json")
def spec():
    """The OpenAPI description of this API."""
    return jsonify(openapi.document(current_app.config["BASE_URL"]))


@bp.post("/events/<slug>/checkins")
def check_in(slug: str):
    """Decide on one scan; the same nonce again replays the same answer."""
    _authorize(slug)
    body = _body()
    answer = door.check_in_scan(
        g.door_pass, body["code"], body["nonce"], body["scanned_at"], body["device"]
    )
    return jsonify(answer)


@bp.get("/events/<slug>/stats")
def stats(slug: str):
    """How many are expected and how many are in."""
    _authorize(slug)
    return jsonify(door.stats(g.door_pass.event_id))


@bp.get("/events/<slug>/roster")
def roster(slug: str):
    """What a door phone needs to decide offline."""
    _authorize(slug)
    return jsonify({"attendees": door.roster(g.door_pass.event_id)})


def _authorize(slug: str) -> None:
    """The door pass in the Authorization header, for this event only."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    g.door_pass = api_passes.open_pass(token)
    if g.door_pass is None:
        abort(401, "A valid door pass is needed: Authorization: Bearer <token>.")
    if g.door_pass.event_slug != slug:
        abort(403, "This door pass is for another event.")


def _body() -> dict:
    """The check-in body, validated: code, nonce, optional scanned_at and device."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid("Send a JSON object with 'code' and 'nonce'.")
    code, nonce = body.get("code"), body.get("nonce")
    if not isinstance(code, str) or not code or len(code) > 4096:
        raise Invalid("'code' must be the scanned text, a non-empty string.")
    if not isinstance(nonce, str) or not NONCE_RE.match(nonce):
        raise Invalid("'nonce' must be 8 to 64 letters, digits, '-' or '_' (a UUID works).")
    device = body.get("device") or ""
    if not isinstance(device, str):
        raise Invalid("'device' must be a string.")
    return {
        "code": code,
        "nonce": nonce,
        "device": device[:100],
        "scanned_at": _moment(body.get("scanned_at")),
    }


def _moment(value) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise Invalid("'scanned_at' must be an ISO 8601 date and time.")
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
