"""A door link whose pass ended says so in a way the phone acts on (it deletes its saved roster)."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from conftest import csrf_token
from sqlalchemy import select
from support.pages import HTMX

from checkin.door import passes
from checkin.events import tickets
from checkin.extensions import db
from checkin.models import DoorPass, utcnow

ENDED = ("X-Door-Pass", "ended")


def end_pass(app, token, how):
    """Revoke a pass, or move its expiry a minute into the past."""
    with app.app_context():
        found = db.session.scalar(
            select(DoorPass).where(DoorPass.token_hash == tickets.digest(token))
        )
        if how == "revoked":
            passes.revoke(found)
        else:
            found.expires_at = utcnow() - timedelta(minutes=1)
            db.session.commit()


def ended_slug(reply) -> str | None:
    """The event whose saved roster the 401 page asks the phone to delete (None: no such page)."""
    found = re.search(r'data-ended="([^"]*)"', reply.get_data(as_text=True))
    return found.group(1) if found else None


@pytest.mark.parametrize("how", ["revoked", "expired"])
@pytest.mark.parametrize("path", ["/", "/counter", "/search?q=ada"])
def test_an_ended_door_link_says_ended_and_names_the_roster_to_delete(app, client, door, how, path):
    """Page, counter poll and search: 401, the header, and the event whose list goes."""
    end_pass(app, door["token"], how)
    reply = client.get(f"/door/{door['token']}{path}", headers=HTMX)
    assert reply.status_code == 401
    assert reply.headers[ENDED[0]] == ENDED[1]
    assert ended_slug(reply) == door["slug"]
    assert "expired or was revoked" in reply.get_data(as_text=True)
    assert "Ada Lovelace" not in reply.get_data(as_text=True)


def test_a_scan_posted_after_the_pass_ended_says_ended(app, client, door):
    """The check-in form's 401 carries the header too."""
    token = csrf_token(client, f"/door/{door['token']}/")
    end_pass(app, door["token"], "revoked")
    reply = client.post(
        f"/door/{door['token']}/check-in",
        data={"csrf_token": token, "code": door["code"], "nonce": str(uuid.uuid4())},
        headers=HTMX,
    )
    assert reply.status_code == 401
    assert reply.headers[ENDED[0]] == ENDED[1]


def test_a_made_up_door_link_names_no_event(client):
    """A token that never was a pass gets the same 401 and header, and no event's slug."""
    reply = client.get("/door/" + "A" * 32 + "/")
    assert reply.status_code == 401
    assert reply.headers[ENDED[0]] == ENDED[1]
    assert ended_slug(reply) == ""


def test_a_live_door_page_carries_its_expiry_and_no_ended_header(app, client, door):
    """The page tells the phone when the pass expires (UTC), so it can forget the list offline."""
    reply = client.get(f"/door/{door['token']}/")
    assert reply.status_code == 200
    assert ENDED[0] not in reply.headers
    assert ended_slug(reply) is None
    expires = re.search(r'data-expires="([^"]+)"', reply.get_data(as_text=True)).group(1)
    moment = datetime.fromisoformat(expires)
    assert moment.utcoffset() == timedelta(0)
    assert timedelta(hours=23) < moment - datetime.now(UTC) <= timedelta(hours=24)


def api(client, door, verb, what, token=None):
    """Call the door API for the door's event with a pass (the door's own unless given)."""
    headers = {"Authorization": f"Bearer {token or door['token']}"}
    url = f"/api/v1/events/{door['slug']}/{what}"
    if verb == "post":
        body = {"code": door["code"], "nonce": str(uuid.uuid4())}
        return client.post(url, json=body, headers=headers)
    return client.get(url, headers=headers)


@pytest.mark.parametrize("how", ["revoked", "expired"])
@pytest.mark.parametrize("verb,what", [("get", "roster"), ("get", "stats"), ("post", "checkins")])
def test_the_api_says_ended_on_every_401(app, client, door, how, verb, what):
    """Roster refresh, stats and check-ins: JSON 401 with the header the phone acts on."""
    assert api(client, door, verb, what).status_code == 200
    end_pass(app, door["token"], how)
    app.extensions["door_pass_cache"].clear()  # the API's one-second pass cache
    reply = api(client, door, verb, what)
    assert reply.status_code == 401
    assert reply.headers[ENDED[0]] == ENDED[1]
    assert "door pass" in reply.get_json()["error"]


def test_a_pass_for_another_event_is_403_without_the_header(client, door):
    """403 says "wrong event", not "your pass ended": the phone keeps its list."""
    reply = api(client, door, "get", "roster", token=door["other_token"])
    assert reply.status_code == 403
    assert ENDED[0] not in reply.headers


def test_the_openapi_document_describes_the_header(client):
    """Clients other than ours learn the header from the API description."""
    spec = client.get("/api/v1/openapi.json").get_json()
    roster = spec["paths"]["/events/{slug}/roster"]["get"]["responses"]["401"]
    assert roster["headers"]["X-Door-Pass"]["schema"]["enum"] == ["ended"]
