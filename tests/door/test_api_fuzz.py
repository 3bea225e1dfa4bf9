"""The door API against hostile input: every answer documented, JSON, never a 500."""

import json
import random
import string
import uuid

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from sqlalchemy import func, select

from checkin.extensions import db
from checkin.models import CheckInAttempt


@pytest.fixture
def spec(client):
    """The OpenAPI document as the app serves it."""
    return client.get("/api/v1/openapi.json").get_json()


def nonce() -> str:
    return str(uuid.uuid4())


def raw(obj) -> bytes:
    return json.dumps(obj).encode()


def attempts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CheckInAttempt))


def assert_documented(spec, path, method, reply):
    """The status is one the document lists for the operation, and the body fits its schema."""
    responses = spec["paths"][path][method]["responses"]
    assert str(reply.status_code) in responses, reply.status_code
    schema = responses[str(reply.status_code)]["content"]["application/json"]["schema"]
    OAS31Validator({**schema, "components": spec["components"]}).validate(reply.get_json())


def test_openapi_document_is_valid(spec):
    """The served document passes the OpenAPI 3.1 validator."""
    validate(spec)
    assert spec["openapi"] == "3.1.0"


def scan(**fields) -> bytes:
    """A scan body of the unknown code "x", with fields changed."""
    return raw({"code": "x", "nonce": "abcdefgh", **fields})


def pick(attendee_id) -> bytes:
    """A body that picks a guest by id."""
    return raw({"attendee_id": attendee_id, "nonce": "abcdefgh"})


def scan_raw(tail: bytes) -> bytes:
    """A scan body ending in raw JSON text (escapes and numbers json.dumps would not write)."""
    return b'{"code": "x", "nonce": "abcdefgh", ' + tail + b"}"


# (case, body bytes, expected status, words the answer must contain)
HOSTILE_BODIES = [
    ("not JSON", b"{not json", 422, "JSON object"),
    ("empty", b"", 422, "JSON object"),
    ("an array", raw([{"code": "x", "nonce": "abcdefgh"}]), 422, "JSON object"),
    ("null", b"null", 422, "JSON object"),
    ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, 422, "JSON object"),
    ("invalid UTF-8", b'{"code": "\xff\xfe", "nonce": "abcdefgh"}', 422, "JSON object"),
    ("a number of 5,000 digits", scan_raw(b'"device": ' + b"9" * 5000), 422, "JSON object"),
    ("1 MB code", scan(code="A" * 1_000_000), 422, "'code'"),
    ("empty code", scan(code=""), 422, "'code'"),
    ("code a number", scan(code=12345), 422, "'code'"),
    ("code a list", scan(code=["x"]), 422, "'code'"),
    ("code NaN", b'{"code": NaN, "nonce": "abcdefgh"}', 422, "'code'"),
    ("nonce missing", raw({"code": "x"}), 422, "'nonce'"),
    ("nonce a number", scan(nonce=123456789), 422, "'nonce'"),
    ("nonce with spaces", scan(nonce="hello world!"), 422, "'nonce'"),
    ("nonce + newline", scan(nonce="abcdefgh\n"), 422, "'nonce'"),
    ("nonce + NUL", scan(nonce="abcdefgh\x00"), 422, "'nonce'"),
    ("nonce 65 long", scan(nonce="a" * 65), 422, "'nonce'"),
    ("device a number", scan(device=7), 422, "'device'"),
    ("scanned_at garbage", scan(scanned_at="soon"), 422, "'scanned_at'"),
    ("scanned_at a number", scan(scanned_at=17e8), 422, "'scanned_at'"),
    ("scanned_at far ahead", scan(scanned_at="9999-12-31T23:59:59Z"), 422, "ahead"),
    ("scanned_at past 9999", scan(scanned_at="9999-12-31T23:59:59-05:00"), 422, "'scanned_at'"),
    ("scanned_at before 1", scan(scanned_at="0001-01-01T00:00:00+05:00"), 422, "'scanned_at'"),
    ("shown unknown", scan(shown="maybe", scanned_at="2026-01-01T00:00:00Z"), 422, "'shown'"),
    ("shown, no scanned_at", scan(shown="admitted"), 422, "'scanned_at'"),
    ("attendee_id and code", scan(attendee_id=1), 422, "not both"),
    ("attendee_id 2**31", pick(2**31), 422, "'attendee_id'"),
    ("attendee_id 10**30", pick(10**30), 422, "'attendee_id'"),
    ("attendee_id 1.5", pick(1.5), 422, "'attendee_id'"),
    ("attendee_id text", pick("1"), 422, "'attendee_id'"),
    ("attendee_id true", pick(True), 422, "'attendee_id'"),
    ("NUL in code", scan(code="ABC\x00DEF"), 200, "unknown"),
    ("lone surrogate code", b'{"code": "\\ud800abc", "nonce": "abcdefgh"}', 200, "unknown"),
    ("emoji code", scan(code="\U0001f600" * 100), 200, "unknown"),
    ("NUL in device", scan(device="pix\x00el"), 200, "unknown"),
    ("lone surrogate device", scan_raw(b'"device": "\\udfff"'), 200, "unknown"),
    ("device of 100,000", scan(device="d" * 100_000), 200, "unknown"),
    ("scanned_at without zone", scan(scanned_at="2026-01-01T10:00:00"), 200, "unknown"),
    ("scanned_at lowercase", scan(scanned_at="2026-01-01t10:00:00z"), 200, "unknown"),
    ("scanned_at year 1", scan(scanned_at="0001-01-01T00:00:00Z"), 200, "unknown"),
    ("attendee_id 2**31 - 1", pick(2**31 - 1), 200, "unknown"),
    ("duplicate keys", b'{"code": "y", "code": "x", "nonce": "abcdefgh"}', 200, "unknown"),
    ("unknown fields", scan(extra={"a": [1]}), 200, "unknown"),
]


@pytest.mark.parametrize(
    "body,status,words", [c[1:] for c in HOSTILE_BODIES], ids=[c[0] for c in HOSTILE_BODIES]
)
def test_hostile_bodies_get_a_documented_answer(app, client, spec, door, body, status, words):
    """Malformed bodies get 422 and say what is wrong, recording nothing; odd ones are unknown."""
    reply = client.post(
        f"/api/v1/events/{door['slug']}/checkins",
        data=body,
        headers={"Authorization": f"Bearer {door['token']}", "Content-Type": "application/json"},
    )
    assert reply.status_code == status
    assert words in (reply.get_json().get("error") or reply.get_json()["result"])
    assert_documented(spec, "/events/{slug}/checkins", "post", reply)
    assert attempts(app) == (1 if status == 200 else 0)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
def test_a_body_that_is_not_declared_json_is_422(app, client, spec, door, content_type):
    """JSON is read only from a request that says it is JSON, and the message says so."""
    headers = {"Authorization": f"Bearer {door['token']}"}
    if content_type:
        headers["Content-Type"] = content_type
    reply = client.post(
        f"/api/v1/events/{door['slug']}/checkins",
        data=raw({"code": door["code"], "nonce": nonce()}),
        headers=headers,
    )
    assert reply.status_code == 422
    assert "Content-Type: application/json" in reply.get_json()["error"]
    assert_documented(spec, "/events/{slug}/checkins", "post", reply)
    assert attempts(app) == 0


def test_a_body_over_10_mb_is_413(app, client, spec, door):
    """An oversized body is refused before it is parsed, as JSON."""
    reply = client.post(
        f"/api/v1/events/{door['slug']}/checkins",
        data=raw({"code": "A" * 11_000_000, "nonce": nonce()}),
        headers={"Authorization": f"Bearer {door['token']}", "Content-Type": "application/json"},
    )
    assert reply.status_code == 413
    assert reply.get_json()["error"]
    assert_documented(spec, "/events/{slug}/checkins", "post", reply)


def test_a_device_label_is_kept_without_control_characters(app, client, door):
    """NUL, other control characters and lone surrogates are dropped, on either database."""
    reply = client.post(
        f"/api/v1/events/{door['slug']}/checkins",
        data=b'{"code": "x", "nonce": "abcdefgh", "device": "Pix\\u0000el\\u0007 7\\ud800"}',
        headers={"Authorization": f"Bearer {door['token']}", "Content-Type": "application/json"},
    )
    assert reply.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(CheckInAttempt.device)) == "Pixel 7"


AUTHORIZATIONS = [
    ("no header", None, 401),
    ("empty bearer", "Bearer ", 401),
    ("garbage bearer", "Bearer \xff\xfe%%", 401),
    ("a 10,000-character bearer", "Bearer " + "x" * 10_000, 401),
    ("basic auth", "Basic YTpi", 401),
    ("another event's pass", "other", 403),
]


@pytest.mark.parametrize("path", ["checkins", "stats", "roster"])
@pytest.mark.parametrize(
    "header,status", [a[1:] for a in AUTHORIZATIONS], ids=[a[0] for a in AUTHORIZATIONS]
)
def test_bad_passes_are_refused_as_documented(app, client, spec, door, path, header, status):
    """A missing or wrong pass gets 401, another event's pass 403, as JSON; nothing recorded."""
    header = f"Bearer {door['other_token']}" if header == "other" else header
    headers = {"Authorization": header} if header else {}
    method = "post" if path == "checkins" else "get"
    reply = getattr(client, method)(
        f"/api/v1/events/{door['slug']}/{path}",
        json={"code": door["code"], "nonce": nonce()} if method == "post" else None,
        headers=headers,
    )
    assert reply.status_code == status
    assert "door pass" in reply.get_json()["error"]
    assert_documented(spec, f"/events/{{slug}}/{path}", method, reply)
    assert attempts(app) == 0


@pytest.mark.parametrize("token", ["own", None])
def test_an_event_that_does_not_exist_is_refused(app, client, spec, door, token):
    """A slug no event has: 401 without a pass, 403 with one (it is not this pass's event)."""
    headers = {"Authorization": f"Bearer {door['token']}"} if token else {}
    reply = client.post(
        "/api/v1/events/no-such-event/checkins",
        json={"code": door["code"], "nonce": nonce()},
        headers=headers,
    )
    assert reply.status_code == (403 if token else 401)
    assert_documented(spec, "/events/{slug}/checkins", "post", reply)


def test_stats_and_roster_match_the_document(client, spec, door):
    """The GET answers fit their schemas, which allow nothing beyond the documented fields."""
    headers = {"Authorization": f"Bearer {door['token']}"}
    for path in ("stats", "roster"):
        reply = client.get(f"/api/v1/events/{door['slug']}/{path}", headers=headers)
        assert reply.status_code == 200
        assert_documented(spec, f"/events/{{slug}}/{path}", "get", reply)


def forged_codes(real: str, count: int, seed: int = 7) -> list[str]:
    """Random, truncated and one-character-forged variants of a real ticket URL."""
    rng = random.Random(seed)
    bare = real.rsplit("/", 1)[-1]
    base32 = string.ascii_uppercase + "234567"
    codes = [real[:cut] for cut in range(1, len(real))]  # every truncation
    while len(codes) < count:
        kind = len(codes) % 3
        if kind == 0:
            codes.append("".join(rng.choice(base32) for _ in range(32)))
        elif kind == 1:
            at = rng.randrange(32)
            swap = rng.choice(base32.replace(bare[at], ""))
            codes.append(real[: -32 + at] + swap + real[len(real) - 32 + at + 1 :])
        else:
            codes.append(
                "".join(chr(rng.randrange(1, 0x2FFF)) for _ in range(rng.randrange(1, 80)))
            )
    return codes[:count]


def test_random_truncated_and_forged_codes_are_unknown(app, client, door):
    """300 codes that are not a live ticket all answer unknown, and admit no one."""
    headers = {"Authorization": f"Bearer {door['token']}"}
    url = f"/api/v1/events/{door['slug']}/checkins"
    answers = [
        client.post(url, json={"code": code, "nonce": nonce()}, headers=headers)
        for code in forged_codes(door["code"], 300)
    ]
    assert {(a.status_code, a.get_json()["result"]) for a in answers} == {(200, "unknown")}
    assert attempts(app) == 300
    stats = client.get(f"/api/v1/events/{door['slug']}/stats", headers=headers).get_json()
    assert stats["admitted"] == 0
