"""The door page a volunteer opens from a pass link: full pages and htmx fragments."""

import re
import uuid
from datetime import timedelta

import pytest
from conftest import csrf_token
from sqlalchemy import func, select
from support.pages import HTMX, readable

from checkin.door import passes
from checkin.events import tickets
from checkin.extensions import db
from checkin.models import CheckInAttempt, DoorPass, Guest, utcnow


@pytest.fixture
def door_page(make_event, make_guest, make_pass):
    """An event with two guests and a door pass; the pass's pages as a dict of helpers."""
    slug = make_event()
    ada_id, ada_code = make_guest(slug, "Ada Lovelace", 2009)
    grace_id, grace_code = make_guest(slug, "Grace Hopper", 1934)
    token = make_pass(slug, "Door 2")
    return {
        "slug": slug,
        "token": token,
        "url": f"/door/{token}",
        "ada": ada_id,
        "ada_code": ada_code,
        "grace": grace_id,
        "grace_code": grace_code,
    }


@pytest.fixture
def post(client, door_page):
    """POST a door form with a valid CSRF token and a fresh nonce (unless given)."""
    token = csrf_token(client, door_page["url"] + "/")

    def send(path, data=None, htmx=False, **fields):
        body = {"csrf_token": token, "nonce": str(uuid.uuid4()), **(data or {}), **fields}
        return client.post(door_page["url"] + path, data=body, headers=HTMX if htmx else {})

    return send


def count(app, model, **where):
    """Rows of a model matching some columns."""
    with app.app_context():
        query = select(func.count()).select_from(model).filter_by(**where)
        return db.session.scalar(query)


def admitted(app, attendee_id) -> bool:
    """Whether the guest is checked in."""
    with app.app_context():
        return db.session.get(Guest, attendee_id).checked_in_at is not None


def test_page_has_camera_code_field_search_walk_in_and_counter(client, door_page):
    """The door page offers every way in, and the live counter."""
    page = client.get(door_page["url"] + "/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="camera"' in html and 'name="code"' in html and 'name="q"' in html
    assert "Walk-in: not on the list" in readable(page)
    assert "0 of 2 checked in" in readable(page)
    assert 'hx-trigger="every 3s"' in html


def test_page_loads_its_own_script_and_styles_and_nothing_inline(client, door_page):
    """door.js and door.css are linked; no inline script or style (the CSP forbids them)."""
    html = client.get(door_page["url"] + "/").get_data(as_text=True)
    assert "/static/js/door.js" in html and "/static/css/door.css" in html
    assert "/static/vendor/barcode-detector/zxing_reader.wasm" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html


def test_decoder_and_wasm_are_served_by_us(client):
    """The QR decoder and its wasm come from our own static folder, with the right type."""
    script = client.get("/static/vendor/barcode-detector/ponyfill.js")
    wasm = client.get("/static/vendor/barcode-detector/zxing_reader.wasm")
    assert script.status_code == 200 and b"BarcodeDetectionAPI" in script.data
    assert wasm.status_code == 200 and wasm.mimetype == "application/wasm"
    assert wasm.data[:4] == b"\0asm"


@pytest.mark.parametrize("htmx", [False, True])
def test_scanning_a_ticket_welcomes_the_guest(app, door_page, post, htmx):
    """A scanned ticket URL admits the guest: the whole page, or just the result for htmx."""
    reply = post("/check-in", code=door_page["ada_code"], htmx=htmx)
    assert reply.status_code == 200
    assert "Welcome, Ada Lovelace ’09" in readable(reply)
    assert ("<html" in reply.get_data(as_text=True)) is not htmx
    assert admitted(app, door_page["ada"])


def test_bare_code_as_typed_also_works(app, door_page, post):
    """The code alone, lower case, as someone might type it, checks in too."""
    code = door_page["ada_code"].rsplit("/", 1)[-1].lower()
    assert "Welcome, Ada Lovelace" in readable(post("/check-in", code=code, htmx=True))


def test_second_scan_says_when_and_by_which_door(door_page, post):
    """Scanning again says they are already in, when, and at which door."""
    post("/check-in", code=door_page["ada_code"], htmx=True)
    again = readable(post("/check-in", code=door_page["ada_code"], htmx=True))
    assert re.search(r"Already checked in at \d\d:\d\d by Door 2 Ada Lovelace", again)


def test_unknown_code_is_not_on_the_list(door_page, post):
    """A code that is no ticket of this event says so plainly."""
    reply = post("/check-in", code="https://example.org/t/" + "A" * 32, htmx=True)
    assert reply.status_code == 200
    assert "Not on the list" in readable(reply)


def test_replaced_ticket_is_an_old_ticket(app, door_page, post):
    """A ticket that was reissued is recognised as old, and admits no one."""
    with app.app_context():
        tickets.issue(db.session.get(Guest, door_page["ada"]))
        db.session.commit()
    assert "Old ticket Ada Lovelace" in readable(
        post("/check-in", code=door_page["ada_code"], htmx=True)
    )
    assert not admitted(app, door_page["ada"])


@pytest.mark.parametrize("htmx", [False, True])
def test_a_guest_who_cancelled_is_told_apart_and_not_admitted(app, door_page, post, htmx):
    """ "I can't come after all", then the old ticket at the door: "Cancelled", and why."""
    from checkin.registration import cancellations

    with app.app_context():
        assert cancellations.cancel(db.session.get(Guest, door_page["ada"]))
    page = readable(post("/check-in", code=door_page["ada_code"], htmx=htmx))
    assert "Cancelled Ada Lovelace" in page and "They gave their place back" in page
    assert not admitted(app, door_page["ada"])


@pytest.mark.parametrize("htmx", [False, True])
def test_empty_code_is_refused_and_records_nothing(app, door_page, post, htmx):
    """An empty scan form answers 422 and records no attempt."""
    reply = post("/check-in", code="", htmx=htmx)
    assert reply.status_code == 422
    assert count(app, CheckInAttempt) == 0
    if not htmx:
        assert "This field is required." in readable(reply)


def test_post_without_csrf_token_is_refused(app, client, door_page):
    """A check-in without the CSRF token is refused and changes nothing."""
    reply = client.post(
        door_page["url"] + "/check-in",
        headers=HTMX,
        data={"code": door_page["ada_code"], "nonce": str(uuid.uuid4())},
    )
    assert reply.status_code == 400
    assert not admitted(app, door_page["ada"])


def test_same_nonce_twice_records_one_attempt(app, door_page, post):
    """A double submit with one nonce replays the answer and records once."""
    nonce = str(uuid.uuid4())
    first = post("/check-in", code=door_page["ada_code"], nonce=nonce, htmx=True)
    again = post("/check-in", code=door_page["ada_code"], nonce=nonce, htmx=True)
    assert "Welcome" in readable(first) and "Welcome" in readable(again)
    assert count(app, CheckInAttempt) == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_search_finds_guests_as_you_type(client, door_page, htmx):
    """Search by part of a name, accents and case ignored: a fragment for htmx, else the page."""
    reply = client.get(door_page["url"] + "/search?q=lOVE", headers=HTMX if htmx else {})
    assert reply.status_code == 200
    assert "Ada Lovelace ’09" in readable(reply)
    assert "Grace Hopper" not in readable(reply)
    assert ("<html" in reply.get_data(as_text=True)) is not htmx


def test_search_says_when_no_one_matches(client, door_page):
    """A search with no match says so."""
    reply = client.get(door_page["url"] + "/search?q=zzz", headers=HTMX)
    assert "No one on the list matches “zzz”." in readable(reply)


def test_search_never_shows_another_events_guests(client, door_page, make_event, make_guest):
    """A door pass only ever searches its own event."""
    other = make_event("Spring Gala", email="other@example.org")
    make_guest(other, "Adam Secret", 1999)
    reply = client.get(door_page["url"] + "/search?q=ad", headers=HTMX)
    assert "Ada Lovelace" in readable(reply) and "Adam Secret" not in readable(reply)


def test_search_row_checks_in_and_then_shows_since_when(app, client, door_page, post):
    """The row's button admits the guest; searching again shows them as in."""
    reply = post(f"/attendees/{door_page['grace']}/check-in", htmx=True)
    assert "Welcome, Grace Hopper ’34" in readable(reply)
    again = client.get(door_page["url"] + "/search?q=grace", headers=HTMX)
    assert re.search(r"Grace Hopper ’34 In since \d\d:\d\d", readable(again))
    assert "Check in Grace Hopper" not in again.get_data(as_text=True)


def test_another_events_guest_cannot_be_checked_in_or_undone(
    app, door_page, post, make_event, make_guest
):
    """Ids of other events' guests are 404 at this door, and nothing changes."""
    other = make_event("Spring Gala", email="other@example.org")
    stranger, _ = make_guest(other, "Adam Secret", 1999)
    assert post(f"/attendees/{stranger}/check-in", htmx=True).status_code == 404
    assert post(f"/attendees/{stranger}/undo", htmx=True).status_code == 404
    assert not admitted(app, stranger)


@pytest.mark.parametrize("htmx", [False, True])
def test_undo_returns_the_guest_to_not_checked_in(app, door_page, post, htmx):
    """Undo on a welcome takes the check-in back."""
    post("/check-in", code=door_page["ada_code"], htmx=True)
    reply = post(f"/attendees/{door_page['ada']}/undo", htmx=htmx)
    assert reply.status_code == 200
    assert "Check-in undone Ada Lovelace" in readable(reply)
    assert not admitted(app, door_page["ada"])


def test_welcome_offers_undo_and_other_results_do_not(door_page, post):
    """Only an admission can be undone from the result."""
    welcome = post("/check-in", code=door_page["ada_code"], htmx=True).get_data(as_text=True)
    already = post("/check-in", code=door_page["ada_code"], htmx=True).get_data(as_text=True)
    assert f"/attendees/{door_page['ada']}/undo" in welcome
    assert "/undo" not in already


def test_walk_in_registers_checks_in_and_brings_a_fresh_form(app, door_page, post):
    """A walk-in is added and admitted; htmx gets a fresh form and the result out of band."""
    reply = post(
        "/walk-in",
        {"name": "Katherine Johnson", "email": "kj@example.org", "class_year": "1937"},
        htmx=True,
    )
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert 'id="walk-in"' in html and 'hx-swap-oob="innerHTML"' in html
    assert "Welcome, Katherine Johnson ’37" in readable(reply)
    assert 'value="Katherine Johnson"' not in html  # the form comes back empty
    assert count(app, Guest, name="Katherine Johnson", source="walk_in") == 1
    assert "3 of 3 checked in" not in readable(reply)  # no counter in the fragment; it polls
    assert "Print badge" in readable(reply)


def test_walk_in_without_javascript_offers_the_badge_too(app, door_page, post):
    """The plain form post answers the whole page, with the new guest's "Print badge"."""
    reply = post("/walk-in", {"name": "Mary Jackson", "email": "mj@example.org"})
    assert reply.status_code == 200
    assert "Welcome, Mary Jackson" in readable(reply) and "Print badge" in readable(reply)
    with app.app_context():
        person = db.session.scalars(select(Guest).filter_by(name="Mary Jackson")).one()
    assert f"/attendees/{person.id}/badge.pdf" in reply.get_data(as_text=True)
    assert "Print badge" not in readable(post("/check-in", code="NOT-A-CODE"))


def test_walk_in_double_tap_adds_one_guest(app, door_page, post):
    """The same walk-in form sent twice (same nonce) registers one person."""
    fields = {"name": "Dorothy Vaughan", "class_year": "1929", "nonce": str(uuid.uuid4())}
    post("/walk-in", fields, htmx=True)
    post("/walk-in", fields, htmx=True)
    assert count(app, Guest, name="Dorothy Vaughan") == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_walk_in_without_a_name_is_422_with_the_form(app, door_page, post, htmx):
    """A walk-in without a name is re-rendered with the error, and nothing is added."""
    reply = post("/walk-in", {"name": "", "email": "not-an-email"}, htmx=htmx)
    assert reply.status_code == 422
    assert "This field is required." in readable(reply)
    assert "Invalid email address." in readable(reply)
    assert count(app, Guest) == 2


def test_counter_fragment_counts_who_is_in(client, door_page, post):
    """The polled counter says how many of how many are in."""
    post("/check-in", code=door_page["ada_code"], htmx=True)
    reply = client.get(door_page["url"] + "/counter", headers=HTMX)
    assert reply.status_code == 200
    assert readable(reply) == "1 of 2 checked in"


def pass_of(token):
    """The door pass a token belongs to (inside an app context)."""
    return db.session.scalar(select(DoorPass).where(DoorPass.token_hash == tickets.digest(token)))


def expire(app, token):
    """Make a door pass expire."""
    with app.app_context():
        pass_of(token).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()


def revoke(app, token):
    """Revoke a door pass."""
    with app.app_context():
        passes.revoke(pass_of(token))


@pytest.mark.parametrize("end", [expire, revoke])
@pytest.mark.parametrize("path,htmx", [("/", False), ("/counter", True), ("/search?q=ada", True)])
def test_ended_pass_gets_the_401_page(app, client, door_page, end, path, htmx):
    """An expired or revoked pass opens nothing: a 401 page that says what to do."""
    end(app, door_page["token"])
    reply = client.get(door_page["url"] + path, headers=HTMX if htmx else {})
    assert reply.status_code == 401
    assert "expired or was revoked" in readable(reply)
    assert "Ada Lovelace" not in readable(reply)


@pytest.mark.parametrize("end", [expire, revoke])
def test_ended_pass_cannot_check_anyone_in(app, client, door_page, end):
    """A scan posted with an ended pass is refused and admits no one."""
    token = csrf_token(client, door_page["url"] + "/")
    end(app, door_page["token"])
    reply = client.post(
        door_page["url"] + "/check-in",
        headers=HTMX,
        data={"csrf_token": token, "code": door_page["ada_code"], "nonce": str(uuid.uuid4())},
    )
    assert reply.status_code == 401
    assert not admitted(app, door_page["ada"])


def test_unknown_token_is_401(client):
    """A made-up door link is refused."""
    assert client.get("/door/" + "A" * 32 + "/").status_code == 401
