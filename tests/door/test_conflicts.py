"""Guests two phones both showed as admitted: the query, and the organizer's event page."""

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support.pages import HTMX

from checkin.door import check_in, conflicts
from checkin.extensions import db
from checkin.models import Event, utcnow

from .test_offline_scans import ago, iso, passes_made_before

NEW_YORK = ZoneInfo("America/New_York")


def clock(moment) -> str:
    """A moment as the page shows it: the time of day in the event's zone (New York)."""
    return moment.astimezone(NEW_YORK).strftime("%H:%M")


@pytest.fixture
def three_doors(app, make_event, make_guest, make_pass):
    """An event with Ada and Grace and three door passes made hours ago."""
    slug = make_event()
    ada_id, ada = make_guest(slug, "Ada Lovelace", 2009)
    grace_id, grace = make_guest(slug, "Grace Hopper", 1934)
    tokens = [make_pass(slug, f"Door {n}") for n in (1, 2, 3)]
    passes_made_before(app, 3)
    return {"slug": slug, "ada": ada, "ada_id": ada_id, "grace": grace, "tokens": tokens}


def send(client, event, door_number, code, scanned_at=None, shown=None, device=None):
    """Post one scan as a door phone: online, or decided offline with `shown`."""
    body = {"code": code, "nonce": str(uuid.uuid4()), "device": device or f"Phone {door_number}"}
    if scanned_at is not None:
        body["scanned_at"] = iso(scanned_at)
    if shown is not None:
        body["shown"] = shown
    token = event["tokens"][door_number - 1]
    reply = client.post(
        f"/api/v1/events/{event['slug']}/checkins",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 200
    return reply.get_json()


def found(app, slug) -> list[conflicts.Conflict]:
    with app.app_context():
        return conflicts.conflicts_of(db.session.scalar(select(Event).filter_by(slug=slug)))


def conflicts_section(client, slug) -> str:
    """The "Admitted twice" card of the event page, or "" when the page has none."""
    reply = client.get(f"/events/{slug}")
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    match = re.search(r'<section class="card conflicts".*?</section>', html, re.S)
    return match.group(0) if match else ""


def admissions_shown(section: str) -> list[str]:
    """Each admission's list item in the card, in order."""
    return re.findall(r"<ol class=\"conflict-admissions\">(.*?)</ol>", section, re.S)[0].split(
        "</li>"
    )[:-1]


def test_two_phones_offline_admitting_one_guest_is_one_conflict(app, client, sign_in, three_doors):
    """Both phones showed Ada admitted: one admission (the earlier scan), one conflict listed."""
    earlier, later = ago(20), ago(15)
    send(
        client, three_doors, 2, three_doors["ada"], later, "admitted"
    )  # the later scan arrives first
    reply = send(client, three_doors, 1, three_doors["ada"], earlier, "admitted")
    assert (reply["admitted_at"], reply["admitted_by"]) == (iso(earlier), "Door 1")
    (conflict,) = found(app, three_doors["slug"])
    assert conflict.name == "Ada Lovelace"
    assert (conflict.admitted_at, conflict.admitted_by) == (earlier, "Door 1")
    assert [(a.door, a.device, a.offline, a.counts) for a in conflict.admissions] == [
        ("Door 1", "Phone 1", True, True),
        ("Door 2", "Phone 2", True, False),
    ]
    assert [a.scanned_at for a in conflict.admissions] == [earlier, later]
    assert all(a.received_at > a.scanned_at for a in conflict.admissions)
    sign_in()
    section = conflicts_section(client, three_doors["slug"])
    assert "Admitted twice (1)" in section
    assert section.count("<h3>") == 1 and "Ada Lovelace" in section
    first, second = admissions_shown(section)
    assert "Door 1" in first and "Counts" in first and f"Scanned {clock(earlier)}" in first
    assert "Door 2" in second and "Counts" not in second and f"Scanned {clock(later)}" in second
    assert first.count("offline") == second.count("offline") == 1
    assert "Phone 1" in first and "Phone 2" in second


def test_an_offline_phone_admitting_someone_already_in_is_a_conflict(
    app, client, sign_in, three_doors
):
    """Ada came in online at Door 1; later Door 2, offline, let her in again."""
    send(client, three_doors, 1, three_doors["ada"])
    send(client, three_doors, 2, three_doors["ada"], utcnow(), "admitted")
    (conflict,) = found(app, three_doors["slug"])
    assert [(a.door, a.offline, a.counts) for a in conflict.admissions] == [
        ("Door 1", False, True),
        ("Door 2", True, False),
    ]
    sign_in()
    first, second = admissions_shown(conflicts_section(client, three_doors["slug"]))
    assert "online" in first and "Counts" in first
    assert "offline" in second


@pytest.mark.parametrize(
    "second_phone,conflict",
    [((1, "Phone 1"), False), ((1, "Another phone"), True), ((2, "Phone 1"), True)],
)
def test_phones_are_told_apart_by_door_pass_and_device(
    app, client, three_doors, second_phone, conflict
):
    """The same phone showing a guest twice is no conflict; another pass or device is."""
    send(client, three_doors, 1, three_doors["ada"], ago(10), "admitted")
    number, device = second_phone
    send(client, three_doors, number, three_doors["ada"], ago(5), "admitted", device=device)
    assert len(found(app, three_doors["slug"])) == (1 if conflict else 0)


def test_a_phone_that_showed_already_in_is_no_conflict(app, client, sign_in, three_doors):
    """Only "admitted" twice is a conflict: "already in" is the door working."""
    send(client, three_doors, 1, three_doors["ada"])
    send(client, three_doors, 2, three_doors["ada"], utcnow(), "already_admitted")
    send(
        client, three_doors, 3, three_doors["ada"]
    )  # online: the server answers "already admitted"
    assert found(app, three_doors["slug"]) == []
    sign_in()
    assert conflicts_section(client, three_doors["slug"]) == ""
    assert "Admitted twice" not in client.get(f"/events/{three_doors['slug']}").get_data(
        as_text=True
    )


def test_an_undo_settles_the_admissions_before_it(app, client, three_doors):
    """Admitted, undone, admitted again: no conflict; a third phone's admission after it is."""
    send(client, three_doors, 1, three_doors["ada"])
    with app.app_context():
        check_in.undo(
            check_in.active_pass(three_doors["tokens"][0]), three_doors["ada_id"], str(uuid.uuid4())
        )
    send(client, three_doors, 2, three_doors["ada"])
    assert found(app, three_doors["slug"]) == []
    send(client, three_doors, 3, three_doors["ada"], utcnow(), "admitted")
    (conflict,) = found(app, three_doors["slug"])
    assert [a.door for a in conflict.admissions] == ["Door 2", "Door 3"]


def test_the_admission_that_counts_may_be_a_scan_not_listed(app, client, sign_in, three_doors):
    """Ada's admission moved to a scan whose phone showed "unknown": the card names it."""
    send(client, three_doors, 1, three_doors["ada"], ago(10), "admitted")
    send(client, three_doors, 2, three_doors["ada"], ago(8), "admitted")
    earliest = ago(30)
    send(client, three_doors, 3, three_doors["ada"], earliest, "unknown")
    (conflict,) = found(app, three_doors["slug"])
    assert not any(a.counts for a in conflict.admissions)
    sign_in()
    section = conflicts_section(client, three_doors["slug"])
    assert f"Counts: Door 3’s scan at {clock(earliest)}." in section


def test_a_scan_received_on_another_day_shows_the_date(app, client, sign_in, three_doors):
    """Received the day after the scan: the received time carries its date."""
    passes_made_before(app, 48)
    yesterday = ago(60 * 24)
    send(client, three_doors, 1, three_doors["ada"], yesterday, "admitted")
    send(client, three_doors, 2, three_doors["ada"], ago(1), "admitted")
    sign_in()
    first, _ = admissions_shown(conflicts_section(client, three_doors["slug"]))
    assert f"Scanned {clock(yesterday)}" in first
    received = found(app, three_doors["slug"])[0].admissions[0].received_at.astimezone(NEW_YORK)
    assert received.strftime("%a %-d %b, %H:%M") in first


def test_another_organizer_cannot_see_the_conflicts(
    app, client, sign_in, three_doors, make_event, make_guest
):
    """The organizer of another event gets a 404 for this one and no trace of its conflicts."""
    send(client, three_doors, 1, three_doors["ada"], ago(10), "admitted")
    send(client, three_doors, 2, three_doors["ada"], ago(5), "admitted")
    other = make_event("Spring Gala", email="other@example.org")
    make_guest(other, "Alan Turing")
    assert len(found(app, three_doors["slug"])) == 1
    assert found(app, other) == []
    sign_in(email="other@example.org")
    assert client.get(f"/events/{three_doors['slug']}").status_code == 404
    html = client.get(f"/events/{other}").get_data(as_text=True)
    assert "Admitted twice" not in html and "Ada Lovelace" not in html


def test_conflict_names_and_devices_are_escaped(app, client, sign_in, three_doors, make_guest):
    """A guest name or device string with markup is shown as text."""
    _, code = make_guest(three_doors["slug"], "<b>Bold</b> Guest")
    send(client, three_doors, 1, code, ago(10), "admitted", device="<i>x</i>")
    send(client, three_doors, 2, code, ago(5), "admitted")
    sign_in()
    section = conflicts_section(client, three_doors["slug"])
    assert "&lt;b&gt;Bold&lt;/b&gt; Guest" in section and "<b>" not in section
    assert "&lt;i&gt;x&lt;/i&gt;" in section


@pytest.mark.parametrize("as_fragment", [True, False])
def test_the_door_log_marks_offline_scans(app, client, sign_in, three_doors, as_fragment):
    """The attempts list tags scans decided offline, in the polled fragment and the page."""
    send(client, three_doors, 1, three_doors["ada"])
    send(client, three_doors, 2, three_doors["grace"], ago(3), "admitted")
    sign_in()
    headers = HTMX if as_fragment else {}
    html = client.get(f"/events/{three_doors['slug']}/attempts", headers=headers).get_data(
        as_text=True
    )
    assert ("<html" in html) is not as_fragment
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", html, re.S)
    grace = next(row for row in rows if "Grace Hopper" in row)
    ada = next(row for row in rows if "Ada Lovelace" in row)
    assert '<span class="tag">offline</span>' in grace
    assert "offline" not in ada


def test_conflicts_render_in_the_events_time_zone(app, client, sign_in, three_doors):
    """Times follow the event's zone, not the server's."""
    with app.app_context():
        db.session.scalar(select(Event).filter_by(slug=three_doors["slug"])).timezone = "Asia/Tokyo"
        db.session.commit()
    moment = ago(10)
    send(client, three_doors, 1, three_doors["ada"], moment, "admitted")
    send(client, three_doors, 2, three_doors["ada"], moment + timedelta(minutes=1), "admitted")
    sign_in()
    first, _ = admissions_shown(conflicts_section(client, three_doors["slug"]))
    assert f"Scanned {moment.astimezone(ZoneInfo('Asia/Tokyo')):%H:%M}" in first
