"""The versioned JSON API door phones use, online and when sending scans made offline."""

import re
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, g, jsonify, request

from ..forms import NONCE
from ..models import utcnow
from . import api_passes, openapi, passes, scan_times
from . import check_in as door

bp = Blueprint("api", __name__, url_prefix="/api/v1")
NONCE_RE = re.compile(NONCE)


class Invalid(Exception):
    """A request body that does not follow the API description."""


@bp.errorhandler(Invalid)
def _invalid(error):
    return jsonify(error=str(error)), 422


@bp.errorhandler(401)
def _pass_ended(error):
    """No live pass: say so in a header the phone acts on (it deletes its saved roster)."""
    return jsonify(error=error.description), 401, passes.ENDED_HEADER


@bp.get("/openapi.json")
def spec():
    """The OpenAPI description of this API."""
    return jsonify(openapi.document(current_app.config["BASE_URL"]))


@bp.post("/events/<slug>/checkins")
def check_in(slug: str):
    """Decide on one scan, made now or offline earlier; the same nonce replays the same answer."""
    _authorize(slug)
    body = _body()
    when = (body["scanned_at"], body["device"], body["shown"])
    if body["attendee_id"] is not None:  # picked by name from the roster (offline, say)
        answer = door.check_in_guest(g.door_pass, body["attendee_id"], body["nonce"], *when)
    else:
        answer = door.check_in_scan(g.door_pass, body["code"], body["nonce"], *when)
    return jsonify(answer)


@bp.get("/events/<slug>/stats")
def stats(slug: str):
    """How many are expected and how many are in."""
    _authorize(slug)
    return jsonify(door.stats(g.door_pass.event_id))


@bp.get("/events/<slug>/roster")
def roster(slug: str):
    """What a door phone needs to decide offline; 304 when the phone's copy (ETag) is current."""
    _authorize(slug)
    response = jsonify({"attendees": door.roster(g.door_pass.event_id)})
    response.headers["Cache-Control"] = "no-store"  # the phone keeps it in IndexedDB itself
    response.add_etag()
    return response.make_conditional(request)


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
    """The check-in body, validated: code or attendee_id, nonce, optional scanned_at, device
    and shown."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # JSON nested thousands deep
        body = None
    if not isinstance(body, dict):
        raise Invalid(
            "Send a JSON object with 'code' and 'nonce' (Content-Type: application/json)."
        )
    code, attendee_id, nonce = body.get("code"), body.get("attendee_id"), body.get("nonce")
    if attendee_id is not None:
        if code is not None:
            raise Invalid("Send 'code' (a scan) or 'attendee_id' (a guest picked), not both.")
        if type(attendee_id) is not int or not 1 <= attendee_id <= openapi.MAX_ID:
            raise Invalid("'attendee_id' must be a guest's id from the roster.")
    elif not isinstance(code, str) or not code or len(code) > 4096:
        raise Invalid("'code' must be the scanned text, 1 to 4096 characters.")
    if not isinstance(nonce, str) or not NONCE_RE.fullmatch(nonce):
        raise Invalid("'nonce' must be 8 to 64 letters, digits, '-' or '_' (a UUID works).")
    device = body.get("device") or ""
    if not isinstance(device, str):
        raise Invalid("'device' must be a string.")
    scanned_at, shown = _when_and_shown(body)
    return {
        "code": code,
        "attendee_id": attendee_id,
        "nonce": nonce,
        "device": device,
        "scanned_at": scanned_at,
        "shown": shown,
    }


def _when_and_shown(body: dict) -> tuple[datetime | None, str | None]:
    """scanned_at (not far in the future) and, for a scan decided offline, what was shown."""
    scanned_at, shown = _moment(body.get("scanned_at")), body.get("shown")
    if shown is not None and shown not in door.SHOWN:
        raise Invalid("'shown' must be one of " + ", ".join(map(repr, door.SHOWN)) + ".")
    if shown is not None and scanned_at is None:
        raise Invalid("A scan decided offline ('shown') needs 'scanned_at', when it was made.")
    if scan_times.too_far_ahead(scanned_at, utcnow()):
        minutes = int(scan_times.SKEW.total_seconds() // 60)
        raise Invalid(f"'scanned_at' is over {minutes} minutes ahead of the server's clock.")
    return scanned_at, shown


def _moment(value) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.upper())  # RFC 3339 allows a lowercase t and z
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (AttributeError, TypeError, ValueError, OverflowError):  # year 1 east of UTC too
        raise Invalid("'scanned_at' must be an ISO 8601 date and time.") from None
