"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json."""

from ..forms import NONCE
from ..room import openapi_cards
from . import passes

PERSON = {
    "type": ["object", "null"],
    "required": ["id", "name", "class_year"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "class_year": {"type": ["integer", "null"]},
    },
}
ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
RETRY_AFTER = {"description": "Seconds to wait", "schema": {"type": "integer", "minimum": 0}}
MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database
ROSTER_ENTRY = {
    "type": "object",
    "required": ["id", "name", "class_year", "code_hash", "checked_in", "checked_in_at"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "class_year": {"type": ["integer", "null"]},
        "code_hash": {
            "type": ["string", "null"],
            "pattern": "^[0-9a-f]{64}$",
            "description": "SHA-256 (hex) of the code; null without a live ticket",
        },
        "checked_in": {"type": "boolean"},
        "checked_in_at": {"type": ["string", "null"], "format": "date-time"},
    },
}


def _errors(*codes: int) -> dict:
    text = {
        401: "Missing, expired or revoked door pass",
        403: "The pass is for another event",
        413: "A body over 10 MB",
        422: "Malformed body; the message says what is wrong",
        503: "The database was too busy to answer in time; nothing was recorded. Send the same "
        "body (same nonce) again after Retry-After seconds",
    }
    errors = {
        str(code): {
            "description": text[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            **({"headers": {"Retry-After": RETRY_AFTER}} if code == 503 else {}),
        }
        for code in codes
    }
    if 401 in codes:  # the phone forgets its saved roster on this header, not on any 401
        errors["401"]["headers"] = {
            name: {
                "description": "'ended': this pass opens nothing any more",
                "schema": {"type": "string", "enum": [value]},
            }
            for name, value in passes.ENDED_HEADER.items()
        }
    return errors


def document(base_url: str) -> dict:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "checkin door API", "version": "1"},
        "servers": [{"url": f"{base_url}/api/v1"}],
        "security": [{"doorPass": []}],
        "components": {
            "securitySchemes": {
                "doorPass": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The token in a door pass link",
                },
                **openapi_cards.SCHEMES,
            },
            "schemas": {
                "Error": ERROR,
                "CheckInResult": _result_schema(),
                **openapi_cards.schemas(),
            },
        },
        "paths": {
            "/events/{slug}/checkins": {"post": _check_in_operation()},
            "/events/{slug}/stats": {"get": _stats_operation()},
            "/events/{slug}/roster": {"get": _roster_operation()},
            **openapi_cards.paths(),
        },
    }


def _check_in_operation() -> dict:
    body = {
        "type": "object",
        "required": ["nonce"],
        "description": "Exactly one of code (a scan) or attendee_id (a guest picked by name).",
        "oneOf": [{"required": ["code"]}, {"required": ["attendee_id"]}],
        "dependentRequired": {"shown": ["scanned_at"]},
        "properties": {
            "code": {
                "type": "string",
                "minLength": 1,
                "maxLength": 4096,
                "description": "The text scanned from the QR",
            },
            "attendee_id": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_ID,
                "description": "A guest picked by name from the roster (an unknown id: unknown)",
            },
            "nonce": {
                "type": "string",
                "pattern": NONCE,
                "description": "A UUID made by the device; the same nonce replays the answer",
            },
            "scanned_at": {
                "type": "string",
                "format": "date-time",
                "description": (
                    "When the phone scanned (without a zone: UTC); required with 'shown'. More "
                    "than 5 minutes ahead of the server: 422. A time up to that far ahead, or "
                    "before the event's first door pass existed (a phone clock that is behind), "
                    "counts as the time the server received the scan; any other past time is "
                    "taken as sent"
                ),
            },
            "device": {
                "type": "string",
                "maxLength": 100,
                "description": "A label for the phone; control characters are dropped",
            },
            "shown": {
                "enum": ["admitted", "already_admitted", "unknown"],
                "description": (
                    "Present only when the phone decided by itself while offline: what it "
                    "showed. The server records the scan as offline and decides it by the same "
                    "rules as any scan, at 'scanned_at'. The earliest scan of a guest is their "
                    "admission, and two phones that both showed 'admitted' for one guest are "
                    "listed for the organizer"
                ),
            },
        },
    }
    return {
        "summary": "Check in a scanned code, now or made offline (idempotent per nonce)",
        "description": (
            "The same nonce again replays the first answer and records nothing. A scan made "
            "before the guest's recorded admission (earliest scan wins) takes the admission "
            "over: its answer is 'already_admitted' with admitted_at and admitted_by naming "
            "itself."
        ),
        "parameters": [SLUG],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {
            "200": _json({"$ref": "#/components/schemas/CheckInResult"}),
            **_errors(401, 403, 413, 422, 503),
        },
    }


def _stats_operation() -> dict:
    counts = {"type": "integer", "minimum": 0}
    return {
        "summary": "Expected and admitted counts",
        "parameters": [SLUG],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["expected", "admitted"],
                    "additionalProperties": False,
                    "properties": {"expected": counts, "admitted": counts},
                }
            ),
            **_errors(401, 403),
        },
    }


def _roster_operation() -> dict:
    return {
        "summary": "What a door phone needs to decide offline",
        "description": "Every guest of the event, and nothing more than this about each.",
        "parameters": [SLUG],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["attendees"],
                    "additionalProperties": False,
                    "properties": {"attendees": {"type": "array", "items": ROSTER_ENTRY}},
                }
            ),
            "304": {"description": "The phone's copy (If-None-Match: its ETag) is current"},
            **_errors(401, 403),
        },
    }


def _result_schema() -> dict:
    return {
        "type": "object",
        "required": ["result", "attendee", "admitted_at", "admitted_by"],
        "properties": {
            "result": {
                "enum": ["admitted", "already_admitted", "unknown", "revoked", "cancelled"],
                "description": "What the server found when the scan arrived",
            },
            "attendee": PERSON,
            "admitted_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "When the guest's admission was scanned, this scan considered",
            },
            "admitted_by": {
                "type": ["string", "null"],
                "description": "The name of the door pass whose scan is the admission",
            },
        },
    }


def _json(schema: dict) -> dict:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}
