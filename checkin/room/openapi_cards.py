"""The cards API's part of the OpenAPI document: paths, schemas and its cookie + CSRF scheme."""

from ..forms import NONCE
from .cards import NOTE_LIMIT, QUICK_TAGS, VIA

SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
CARD_ID = {"name": "card_id", "in": "path", "required": True, "schema": {"type": "integer"}}
READ = [{"guestSession": []}]
WRITE = [{"guestSession": [], "csrfToken": []}]
NULLABLE_TEXT = {"type": ["string", "null"]}

SCHEMES = {
    "guestSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "The session a personal link starts (POST /in/<token>); the browser "
        "sends it. Without a guest session the cards API answers 401.",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRFToken",
        "description": 'The token in <meta name="csrf-token"> of any page of the same session; '
        "needed on POST, PATCH and DELETE (missing or wrong: 400).",
    },
}

PERSON = {
    "type": "object",
    "required": ["id", "name", "first_name", "class_year"],
    "description": "Name and class year always; the profile fields only if they are findable.",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "first_name": {"type": "string"},
        "class_year": {"type": ["integer", "null"]},
        **{
            name: {"type": "string"}
            for name in ("role", "employer", "city", "industry", "major", "residence_hall", "clubs")
        },
    },
}
TAGS = {"type": "array", "items": {"enum": list(QUICK_TAGS)}}
NOTE = {"type": ["string", "null"], "maxLength": NOTE_LIMIT, "description": "Only you see it"}
CARD = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "attendee": {
            "oneOf": [{"$ref": "#/components/schemas/Person"}, {"type": "null"}],
            "description": "Whom you met; null once they deleted their data (your note stays)",
        },
        "shared": {"type": "array", "items": {"type": "string"}, "description": "Chips, in words"},
        "mutual": {"type": "boolean", "description": "They recorded you too"},
        "contact": {
            "type": ["object", "null"],
            "description": "Only when mutual and both chose to share contact details",
            "properties": {"email": NULLABLE_TEXT, "linkedin": NULLABLE_TEXT},
        },
        "note": {"type": "string"},
        "tags": TAGS,
        "starred": {"type": "boolean"},
        "via": {"enum": list(VIA)},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}
NEW_CARD = {
    "type": "object",
    "required": ["nonce"],
    "description": "Exactly one of code or attendee_id.",
    "properties": {
        "code": {"type": "string", "maxLength": 4096, "description": "The text scanned from a QR"},
        "attendee_id": {"type": "integer", "description": "Someone from the room list"},
        "nonce": {
            "type": "string",
            "pattern": NONCE,
            "description": "A UUID made by the phone; the same nonce again answers the same card",
        },
        "note": NOTE,
        "tags": TAGS,
        "starred": {"type": "boolean"},
        "via": {"enum": list(VIA)},
        "author_id": {
            "type": "integer",
            "description": "Whose card a phone queued it as (in another's session: 409)",
        },
    },
}
ROOM_PERSON = {
    "type": "object",
    "description": "A findable, checked-in guest; the SHA-256 (hex) of their uppercase ticket "
    "code, never the code",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "class_year": {"type": ["integer", "null"]},
        "code_hash": {"type": "string"},
        "met": {"type": "boolean", "description": "You already recorded them"},
    },
}
EDIT_CARD = {
    "type": "object",
    "properties": {"note": NOTE, "tags": TAGS, "starred": {"type": "boolean"}},
}


def schemas() -> dict:
    """The schemas the cards paths refer to."""
    return {"Person": PERSON, "Card": CARD}


def paths() -> dict:
    """The cards and suggestions paths."""
    card = _json({"$ref": "#/components/schemas/Card"})
    return {
        "/events/{slug}/cards": {
            "post": _op(
                "Record meeting someone (idempotent per nonce and per person)",
                WRITE,
                [SLUG],
                {
                    "201": card | {"description": "Recorded"},
                    "200": card | {"description": "Already recorded: that card"},
                },
                (400, 401, 404, 409, 422),
                body=NEW_CARD,
            ),
            "get": _op(
                "Your cards, and who recorded you and waits for a connect back",
                READ,
                [SLUG],
                {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "cards": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Card"},
                                },
                                "connect_back": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Person"},
                                },
                            },
                        }
                    )
                },
                (401, 404),
            ),
        },
        "/events/{slug}/cards/{card_id}": {
            "get": _op("One of your cards", READ, [SLUG, CARD_ID], {"200": card}, (401, 404)),
            "patch": _op(
                "Change your card's note, tags or star",
                WRITE,
                [SLUG, CARD_ID],
                {"200": card},
                (400, 401, 404, 422),
                body=EDIT_CARD,
            ),
            "delete": _op(
                "Delete your card",
                WRITE,
                [SLUG, CARD_ID],
                {"204": {"description": "Deleted"}},
                (400, 401, 404),
            ),
        },
        "/events/{slug}/me": {
            "get": _op(
                "Who is signed in, and this session's current CSRF token",
                READ,
                [SLUG],
                {"200": _json(_object(id="integer", first_name="string", csrf_token="string"))},
                (401, 404),
            ),
        },
        "/events/{slug}/people": {
            "get": _op(
                "The room list a phone keeps to name scanned badges offline",
                READ,
                [SLUG],
                {"200": _json(_object(people={"type": "array", "items": ROOM_PERSON}))},
                (401, 404),
            ),
        },
        "/events/{slug}/suggestions": {
            "get": _op(
                "Up to five checked-in, findable people to meet, with reasons",
                READ,
                [SLUG],
                {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "suggestions": {
                                    "type": "array",
                                    "items": {
                                        "allOf": [
                                            {"$ref": "#/components/schemas/Person"},
                                            {
                                                "type": "object",
                                                "properties": {
                                                    "reasons": {
                                                        "type": "array",
                                                        "items": {"type": "string"},
                                                    }
                                                },
                                            },
                                        ]
                                    },
                                }
                            },
                        }
                    )
                },
                (401, 404),
            ),
        },
    }


ERRORS = {
    400: "CSRF token missing or wrong",
    401: "No guest session: sign in with your personal link",
    409: "The card was queued by another guest on this phone: it waits for them",
    404: "Not found: another event, another's card, an unknown code or person",
    422: "Malformed body; the message says what is wrong",
}


def _op(summary, security, parameters, responses, errors, body=None) -> dict:
    operation = {
        "summary": summary,
        "security": security,
        "parameters": parameters,
        "responses": responses | {str(code): _error(code) for code in errors},
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    return operation


def _error(code: int) -> dict:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": ERRORS[code], "content": {"application/json": {"schema": schema}}}


def _object(**properties) -> dict:
    """An object schema from name=type (a type name or a schema)."""
    props = {k: v if isinstance(v, dict) else {"type": v} for k, v in properties.items()}
    return {"type": "object", "properties": props}


def _json(schema: dict) -> dict:
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}
