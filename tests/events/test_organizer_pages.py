"""The organizer's pages: events, arrivals, the guest list, guests by hand, door passes."""

import re
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from conftest import REUNION_DAY, csrf_token
from sqlalchemy import func, insert, select
from support.pages import HTMX, readable

from checkin.door import check_in
from checkin.events import guests, tickets
from checkin.extensions import db
from checkin.models import DoorPass, Event, Guest, Ticket

# make_event's start: 18:00 in New York (EST, UTC-5, every late November)
NEW_YORK_18H = datetime.combine(REUNION_DAY, time(23, 0), tzinfo=UTC)


@pytest.fixture
def org(client, sign_in, make_event):
    """A signed-in organizer with one event; .post() sends forms with a CSRF token."""
    slug = make_event()
    sign_in()

    class Org:
        url = f"/events/{slug}"
        token = csrf_token(client, "/events")

        def __init__(self):
            self.slug = slug

        def post(self, path, data=None, **kw):
            return client.post(path, data={"csrf_token": self.token, **(data or {})}, **kw)

    return Org()


def event_row(app, slug) -> Event:
    """The event as stored."""
    with app.app_context():
        found = db.session.scalar(select(Event).where(Event.slug == slug))
        db.session.expunge(found)
        return found


def count(app, model, **where) -> int:
    """Rows of a model matching some columns."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def admit(app, attendee_id, at, pass_name="Door 2"):
    """Mark a guest checked in at a moment, by a (new) pass of their event."""
    with app.app_context():
        person = db.session.get(Guest, attendee_id)
        door_pass = db.session.scalar(select(DoorPass).where(DoorPass.name == pass_name))
        if door_pass is None:
            door_pass = DoorPass(
                event_id=person.event_id,
                name=pass_name,
                salt=uuid.uuid4().hex,
                token_hash=uuid.uuid4().hex,
                expires_at=at + timedelta(days=1),
            )
            db.session.add(door_pass)
            db.session.flush()
        person.checked_in_at, person.checked_in_by_id = at, door_pass.id
        db.session.commit()


EVENT = {
    "name": "Spring Gala",
    "venue": "Boathouse",
    "starts_at": f"{REUNION_DAY}T18:00",
    "ends_at": f"{REUNION_DAY}T23:00",
    "timezone": "America/New_York",
}


# Events


def test_events_page_lists_only_my_events(client, org, make_event):
    """Another organizer's event does not appear on my list."""
    make_event("Someone Else's Dinner", email="other@example.org")
    page = readable(client.get("/events"))
    assert "Fall Reunion" in page
    assert "Someone Else's Dinner" not in page


def test_create_event_stores_local_times_in_utc(app, client, org):
    """18:00 in New York is kept as 23:00 UTC and shown back as 18:00."""
    reply = org.post("/events/new", EVENT)
    assert reply.status_code == 302
    slug = reply.location.rsplit("/", 1)[-1]
    stored = event_row(app, slug)
    assert stored.starts_at == NEW_YORK_18H
    assert stored.timezone == "America/New_York"
    page = readable(client.get(f"/events/{slug}"))
    assert f"{REUNION_DAY:%a} 26 Nov, 18:00 – 23:00" in page
    assert "Event created. Next: import the guest list" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "Use an IANA time zone name"),
        ({"timezone": "EST5EDT; DROP TABLE events"}, "Use an IANA time zone name"),
        ({"ends_at": f"{REUNION_DAY}T17:00"}, "The end must be after the start."),
        ({"name": ""}, "This field is required."),
        ({"starts_at": "tomorrow evening"}, "Not a valid datetime value."),
        (
            {"starts_at": "2026-03-08T02:30", "ends_at": "2026-03-08T05:00"},
            "That time does not exist in America/New_York",
        ),
    ],
)
def test_bad_event_form_is_shown_again_with_the_reason(app, client, org, change, message):
    """A bad field answers 422 with the reason beside it; no event is created."""
    reply = org.post("/events/new", {**EVENT, **change})
    assert reply.status_code == 422
    assert message in readable(reply)
    assert count(app, Event) == 1


def test_edit_form_shows_local_times(client, org):
    """The edit form shows the start as the wall-clock time at the venue."""
    html = client.get(org.url + "/edit").get_data(as_text=True)
    assert f'value="{REUNION_DAY}T18:00"' in html
    assert 'value="America/New_York"' in html


def test_editing_the_time_zone_keeps_the_wall_clock_times(app, client, org):
    """Moving an event to London reads 18:00 as 18:00 in London."""
    reply = org.post(org.url + "/edit", {**EVENT, "timezone": "Europe/London"})
    assert reply.status_code == 302
    stored = event_row(app, org.slug)
    assert stored.name == "Spring Gala"
    assert stored.starts_at == datetime.combine(REUNION_DAY, time(18, 0), tzinfo=UTC)


def test_failed_edit_changes_nothing(app, client, org):
    """A rejected edit leaves the event as it was."""
    reply = org.post(org.url + "/edit", {**EVENT, "timezone": "Nowhere/Land"})
    assert reply.status_code == 422
    assert event_row(app, org.slug).name == "Fall Reunion"


# Arrivals


def test_event_page_shows_the_count_and_an_accessible_chart(app, client, org, make_guest):
    """ "1 of 2 checked in", and an SVG chart with a role, a title and a text summary."""
    ada, _ = make_guest(org.slug, "Ada Lovelace")
    make_guest(org.slug, "Grace Hopper")
    admit(app, ada, NEW_YORK_18H + timedelta(minutes=25))
    reply = client.get(org.url)
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "1 of 2 checked in" in readable(reply)
    assert re.search(
        r'<svg [^>]*role="img"[^>]*aria-labelledby="arrivals-title arrivals-desc"', html
    )
    assert '<title id="arrivals-title">Arrivals per 10 minutes</title>' in html
    assert "Busiest 10 minutes: from 18:20, 1 arrival." in html
    assert len(re.findall(r'<rect class="bar"', html)) == 1


def test_arrivals_fragment_for_htmx_and_full_page_without(client, org):
    """The polled endpoint answers htmx with the fragment only, a browser with the page."""
    fragment = client.get(org.url + "/arrivals", headers=HTMX).get_data(as_text=True)
    page = client.get(org.url + "/arrivals").get_data(as_text=True)
    assert fragment.lstrip().startswith("{#") is False
    assert "<html" not in fragment and 'id="arrivals"' in fragment
    assert 'hx-trigger="every 10s"' in fragment
    assert "<html" in page and 'id="arrivals"' in page and 'id="guests"' in page


def test_arrivals_count_per_ten_minutes_on_the_local_clock(app, ctx, make_event, make_guest):
    """Buckets start on the venue's clock (18:00, 18:10 ...) and count each check-in once."""
    slug = make_event(timezone="Asia/Kolkata")  # UTC+05:30: local and UTC minutes differ
    start = datetime.combine(REUNION_DAY, time(12, 30), tzinfo=UTC)  # 18:00 in Kolkata
    for minutes in (1, 5, 9, 25):
        admit(app, make_guest(slug)[0], start + timedelta(minutes=minutes))
    make_guest(slug)
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    result = guests.arrivals(event)
    assert (result.expected, result.admitted, result.minutes) == (5, 4, 10)
    assert result.start == start
    assert result.counts[:3] == [3, 0, 1]
    assert len(result.counts) == 30  # five hours of ten minutes
    labels = [tick["label"] for tick in result.chart(event)["ticks"]]
    assert labels == ["18:00", "19:00", "20:00", "21:00", "22:00"]  # round hours, not every 80 min


def test_early_arrivals_widen_the_chart(app, ctx, make_event, make_guest):
    """Someone let in before the start still shows, in a bucket of their own."""
    slug = make_event()
    admit(app, make_guest(slug)[0], NEW_YORK_18H - timedelta(minutes=42))
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    result = guests.arrivals(event)
    assert result.start == NEW_YORK_18H - timedelta(minutes=50)
    assert result.counts[0] == 1 and sum(result.counts) == 1


def test_long_events_use_longer_buckets(app, ctx, make_event):
    """A three-day conference gets hour-or-longer bars, never hundreds of them."""
    slug = make_event()
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    event.ends_at = event.starts_at + timedelta(days=3)
    result = guests.arrivals(event)
    assert result.minutes >= 60 and len(result.counts) <= guests.MAX_BARS


def test_no_arrivals_yet_says_so(client, org):
    """Before the doors open the summary says nobody is in yet, and no bars are drawn."""
    reply = client.get(org.url)
    assert "No one has checked in yet" in readable(reply)
    assert '<rect class="bar"' not in reply.get_data(as_text=True)


# The guest list


def test_guest_list_says_who_checked_in_whom_and_when(app, client, org, make_guest):
    """Each guest shows name, class year, email and "18:25 by Door 2" or "not yet"."""
    ada, _ = make_guest(org.slug, "Ada Lovelace", 2009, email="ada@example.org")
    make_guest(org.slug, "Grace Hopper", 1934, email="grace@example.org")
    admit(app, ada, NEW_YORK_18H + timedelta(minutes=25), "Door 2")
    page = readable(client.get(org.url))
    assert "Ada Lovelace 2009 ada@example.org Ticket of Ada Lovelace 18:25 by Door 2" in page
    assert "Grace Hopper 1934 grace@example.org Ticket of Grace Hopper not yet" in page


def test_guest_list_links_each_ticket_page(app, client, org, make_guest):
    """The organizer can open or copy each guest's ticket link from the list."""
    _, code = make_guest(org.slug, "Ada Lovelace")
    html = client.get(org.url).get_data(as_text=True)
    assert f'href="{code}"' in html
    assert client.get(code.replace("http://127.0.0.1:5000", "")).status_code == 200


@pytest.fixture
def long_list(app, org):
    """120 guests named Guest 000 .. Guest 119, plus Zoë Ó Súilleabháin; the first 30 are in."""
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == org.slug))
        people = [
            Guest(
                event_id=event.id,
                name=f"Guest {i:03d}",
                email=f"g{i}@example.org",
                checked_in_at=NEW_YORK_18H if i < 30 else None,
            )
            for i in range(120)
        ]
        people.append(Guest(event_id=event.id, name="Zoë Ó Súilleabháin", email="zoe@example.org"))
        db.session.add_all(people)
        db.session.commit()
    return org


def rows(response) -> int:
    """Guest rows on the page."""
    return response.get_data(as_text=True).count("/attendees/") - response.get_data(
        as_text=True
    ).count("/attendees/new")


def test_guest_list_shows_fifty_at_a_time(client, long_list):
    """Page one shows guests 1-50 of 121 and a link to the next page."""
    reply = client.get(long_list.url)
    assert rows(reply) == 50
    assert "Showing 1–50 of 121" in readable(reply)
    assert f'href="/events/{long_list.slug}/guests?page=2"' in reply.get_data(as_text=True)


def test_last_page_holds_the_rest(client, long_list):
    """Page three shows the last 21, and asking beyond the end shows the last page."""
    assert rows(client.get(long_list.url + "/guests?page=3")) == 21
    assert "Showing 101–121 of 121" in readable(client.get(long_list.url + "/guests?page=99"))
    assert "Showing 1–50" in readable(client.get(long_list.url + "/guests?page=-4"))
    assert "Showing 1–50" in readable(client.get(long_list.url + "/guests?page=abc"))


def test_filter_by_name_ignores_accents_and_case(client, long_list):
    """Typing "zoe o suil" finds Zoë Ó Súilleabháin."""
    reply = client.get(long_list.url + "/guests?q=zoe+o+suil", headers=HTMX)
    assert rows(reply) == 1 and "Zoë Ó Súilleabháin" in readable(reply)


@pytest.mark.parametrize(("status", "shown"), [("in", 30), ("out", 91), ("all", 121), ("zzz", 121)])
def test_filter_by_status(client, long_list, status, shown):
    """ "Checked in" and "Not yet" split the list; anything else shows everyone."""
    assert f"of {shown}" in readable(
        client.get(long_list.url + f"/guests?status={status}", headers=HTMX)
    )


def test_filter_with_wildcards_is_literal(client, long_list):
    """A % or _ typed in the box matches only itself."""
    assert "No guests match." in readable(client.get(long_list.url + "/guests?q=%25", headers=HTMX))
    assert "No guests match." in readable(client.get(long_list.url + "/guests?q=_", headers=HTMX))


def test_guest_filter_as_fragment_and_as_page(client, long_list):
    """htmx gets the list alone; a plain GET gets the page with the filter filled in."""
    fragment = client.get(long_list.url + "/guests?q=guest+007", headers=HTMX).get_data(
        as_text=True
    )
    page = client.get(long_list.url + "/guests?q=guest+007").get_data(as_text=True)
    assert "<html" not in fragment and fragment.count("Guest 007") == 1
    assert "<html" in page and 'value="guest 007"' in page and "Guest 007" in page


def test_filter_form_works_without_javascript(client, long_list):
    """The filter is an ordinary GET form aimed at the same endpoint htmx calls."""
    html = client.get(long_list.url).get_data(as_text=True)
    form = re.search(r'<form class="guest-filter"[^>]*>', html).group(0)
    assert 'method="get"' in form
    assert f'action="/events/{long_list.slug}/guests"' in form
    assert f'hx-get="/events/{long_list.slug}/guests"' in form


def test_twenty_thousand_guests_never_load_at_once(app, client, org):
    """With 20,000 guests the page still shows 50 rows and the true total."""
    with app.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.slug == org.slug))
        db.session.execute(
            insert(Guest),
            [
                {
                    "event_id": event_id,
                    "name": f"Alum {i:05d}",
                    "search_key": f"alum {i:05d}",
                    "email": f"a{i}@example.org",
                    "source": "import",
                    "extra": {},
                }
                for i in range(20_000)
            ],
        )
        db.session.commit()
    reply = client.get(org.url)
    assert reply.status_code == 200
    assert rows(reply) == 50
    assert "Showing 1–50 of 20,000" in readable(reply)
    assert "Page 1 of 400" in readable(reply)


# The door's log


def test_recent_attempts_show_time_door_result_and_name(app, client, org, make_guest, make_pass):
    """Scans appear newest first: who, or "unknown code" for a code not on the list."""
    _, code = make_guest(org.slug, "Ada Lovelace")
    token = make_pass(org.slug, "Door 3")
    for scanned in (code, "NOT-A-REAL-CODE", code):
        client.post(
            f"/api/v1/events/{org.slug}/checkins",
            json={"code": scanned, "nonce": str(uuid.uuid4())},
            headers={"Authorization": f"Bearer {token}"},
        )
    log = readable(client.get(org.url + "/attempts", headers=HTMX))
    assert re.search(
        r"\d\d:\d\d Door 3 Already in Ada Lovelace .*"
        r"\d\d:\d\d Door 3 Not on the list unknown code .*"
        r"\d\d:\d\d Door 3 Admitted Ada Lovelace",
        log,
    )


def test_attempts_fragment_polls_and_page_is_whole(client, org):
    """The log is polled every 10 s as a fragment; without htmx it is the event page."""
    fragment = client.get(org.url + "/attempts", headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and 'hx-trigger="every 10s"' in fragment
    assert "No check-in attempts yet." in fragment
    assert "<html" in client.get(org.url + "/attempts").get_data(as_text=True)


def test_log_keeps_to_the_last_fifty(app, client, org, make_guest, make_pass):
    """Sixty attempts show as fifty rows."""
    make_pass(org.slug, "Door 1")
    with app.app_context():
        door_pass = db.session.scalar(select(DoorPass))
        for _ in range(60):
            check_in.check_in_scan(door_pass, "garbage", str(uuid.uuid4()))
    fragment = client.get(org.url + "/attempts", headers=HTMX).get_data(as_text=True)
    assert fragment.count("unknown code") == 50


# One guest by hand


GUEST = {
    "name": "Katherine Johnson",
    "email": "Kat@Example.org",
    "class_year": "1937",
    "major": "Mathematics",
    "residence_hall": "Baker House",
    "clubs": "Chess Club ;  Rowing;",
    "industry": "Aerospace",
    "interests": "orbital mechanics; teaching",
    "willing_to_mentor": "yes",
    "consent_profile": "no",
}


def test_add_a_guest_by_hand(app, client, org):
    """The guest is saved with every profile field and a working ticket."""
    reply = org.post(org.url + "/attendees/new", GUEST)
    assert reply.status_code == 302
    with app.app_context():
        person = db.session.scalar(select(Guest).where(Guest.name == "Katherine Johnson"))
        assert (person.email, person.class_year, person.source) == (
            "kat@example.org",
            1937,
            "manual",
        )
        assert (person.clubs, person.interests) == (
            "Chess Club; Rowing",
            "orbital mechanics; teaching",
        )
        assert (person.willing_to_mentor, person.consent_profile) == (True, False)
        assert tickets.current_ticket(person.id) is not None
    page = client.get(reply.location)
    assert "Added Katherine Johnson" in readable(page)
    link = re.search(r'<a href="([^"]+)">Open the ticket page', page.get_data(as_text=True))
    assert client.get(link.group(1).replace("http://127.0.0.1:5000", "")).status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "  "}, "This field is required."),
        ({"email": "not-an-email"}, "Invalid email address."),
        ({"class_year": "1800"}, "Number must be between 1900 and 2100."),
        ({"class_year": "nineteen"}, "Not a valid integer value."),
        ({"willing_to_mentor": "maybe"}, "Choose Yes, No or Not asked."),
        ({"name": "x" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_guest_form_keeps_what_was_typed(app, client, org, change, message):
    """A bad field answers 422 with the reason inline; the rest of the typing is kept."""
    reply = org.post(org.url + "/attendees/new", {**GUEST, **change})
    assert reply.status_code == 422
    assert message in readable(reply)
    assert 'value="Baker House"' in reply.get_data(as_text=True)
    assert count(app, Guest) == 0


def test_same_email_twice_is_refused(app, client, org, make_guest):
    """Two guests on one list cannot share an email address (case ignored)."""
    make_guest(org.slug, "Ada Lovelace", email="kat@example.org")
    reply = org.post(org.url + "/attendees/new", GUEST)
    assert reply.status_code == 422
    assert "Ada Lovelace already uses this email on the guest list." in readable(reply)
    assert count(app, Guest) == 1


def test_edit_a_guest(app, client, org, make_guest):
    """Edits are saved; the ticket and check-in state stay."""
    guest, code = make_guest(org.slug, "Kat Johnson")
    reply = org.post(f"{org.url}/attendees/{guest}", {**GUEST, "willing_to_mentor": ""})
    assert reply.status_code == 302
    with app.app_context():
        person = db.session.get(Guest, guest)
        assert person.name == "Katherine Johnson" and person.willing_to_mentor is None
    assert "Saved." in readable(client.get(reply.location))
    assert client.get(code.replace("http://127.0.0.1:5000", "")).status_code == 200


def test_edit_form_shows_the_stored_profile(app, client, org, make_guest):
    """The edit page shows the guest's details and Yes/No answers as stored."""
    org.post(org.url + "/attendees/new", GUEST)
    with app.app_context():
        guest = db.session.scalar(select(Guest.id))
    html = client.get(f"{org.url}/attendees/{guest}").get_data(as_text=True)
    assert 'value="Chess Club; Rowing"' in html
    assert re.search(r'<option selected value="yes">Yes</option>', html)
    assert re.search(r'<option selected value="no">No</option>', html)


def test_editing_to_another_guests_email_is_refused(app, client, org, make_guest):
    """Changing an email to one already on the list answers 422 and saves nothing."""
    make_guest(org.slug, "Ada Lovelace", email="kat@example.org")
    guest, _ = make_guest(org.slug, "Kat Johnson", email="kj@example.org")
    reply = org.post(f"{org.url}/attendees/{guest}", GUEST)
    assert reply.status_code == 422
    with app.app_context():
        assert db.session.get(Guest, guest).name == "Kat Johnson"


# Reissuing a ticket


def test_reissue_needs_the_box_ticked(app, client, org, make_guest):
    """Without confirming, nothing changes and the page says what to do."""
    guest, code = make_guest(org.slug)
    reply = org.post(f"{org.url}/attendees/{guest}/reissue", {})
    assert reply.status_code == 422
    assert "Tick the box to confirm." in readable(reply)
    assert client.get(code.replace("http://127.0.0.1:5000", "")).status_code == 200
    assert count(app, Ticket) == 1


def test_reissue_makes_a_new_code_and_the_old_one_stops_working(
    app, client, org, make_guest, make_pass
):
    """After reissuing, the old QR answers "revoked" at the door and the new one admits."""
    guest, old = make_guest(org.slug)
    reply = org.post(f"{org.url}/attendees/{guest}/reissue", {"confirm": "y"})
    assert reply.status_code == 302
    page = client.get(reply.location)
    assert "New ticket issued" in readable(page)
    new = re.search(r'<a href="([^"]+)">Open the ticket page', page.get_data(as_text=True))[1]
    assert new != old
    token = make_pass(org.slug)

    def scan(code):
        return client.post(
            f"/api/v1/events/{org.slug}/checkins",
            json={"code": code, "nonce": str(uuid.uuid4())},
            headers={"Authorization": f"Bearer {token}"},
        ).get_json()["result"]

    assert scan(old) == "revoked"
    assert scan(new) == "admitted"
    assert "replaced by a newer one" in readable(
        client.get(old.replace("http://127.0.0.1:5000", ""))
    )


# Door passes


def test_create_a_door_pass_and_see_its_qr(app, client, org):
    """A new pass leads to its page: the QR and the link that opens the door page."""
    reply = org.post(org.url + "/door-passes", {"name": "Front door", "hours": "6"})
    assert reply.status_code == 302
    page = client.get(reply.location)
    html = page.get_data(as_text=True)
    assert '<svg class="qr" role="img" aria-label="Door link for Front door"' in html
    link = re.search(r'id="door-link" readonly value="([^"]+)"', html)[1]
    assert client.get(link.replace("http://127.0.0.1:5000", "") + "/").status_code == 200
    with app.app_context():
        door_pass = db.session.scalar(select(DoorPass))
        remaining = door_pass.expires_at - datetime.now(UTC)
        assert timedelta(hours=5, minutes=59) < remaining <= timedelta(hours=6)


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "hours": "6"},
        {"name": "Door", "hours": "0"},
        {"name": "Door", "hours": "9999"},
        {"name": "Door", "hours": "x"},
    ],
)
def test_bad_door_pass_form_is_refused(app, client, org, data):
    """No name or an impossible duration answers 422 and makes no pass."""
    reply = org.post(org.url + "/door-passes", data)
    assert reply.status_code == 422
    assert count(app, DoorPass) == 0


def test_pass_list_shows_expiry_and_last_use(app, client, org, make_guest, make_pass):
    """The list says when each pass expires and when it last scanned ("never" before)."""
    make_pass(org.slug, "Door 1")
    assert re.search(
        r"Door 1 Expires \w{3} \d+ \w{3}, \d\d:\d\d never", readable(client.get(org.url))
    )
    with app.app_context():
        check_in.check_in_scan(db.session.scalar(select(DoorPass)), "garbage", str(uuid.uuid4()))
    assert re.search(
        r"Door 1 Expires [^|]*?\d\d:\d\d \w{3} \d+ \w{3}, \d\d:\d\d", readable(client.get(org.url))
    )
    assert "never" not in readable(client.get(org.url)).split("Door passes")[-1]


def test_revoke_a_pass(client, org, make_pass):
    """A revoked pass is marked in the list and its link stops opening the door."""
    token = make_pass(org.slug, "Door 1")
    assert client.get(f"/door/{token}/").status_code == 200
    reply = org.post(org.url + "/door-passes/1/revoke")
    assert reply.status_code == 302
    assert "Door 1 Revoked" in readable(client.get(org.url))
    assert client.get(f"/door/{token}/").status_code == 401
    assert "This link no longer works." in readable(client.get(org.url + "/door-passes/1"))


def test_expired_pass_says_so_and_hides_its_qr(app, client, org, make_pass):
    """An expired pass's page does not show a QR that would not work."""
    make_pass(org.slug, "Door 1")
    with app.app_context():
        db.session.scalar(select(DoorPass)).expires_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    page = client.get(org.url + "/door-passes/1")
    assert "Expired" in readable(page) and 'class="qr"' not in page.get_data(as_text=True)
    assert "Door 1 Expired" in readable(client.get(org.url))


def test_import_link_appears_when_the_import_is_installed(app, client, org):
    """ "Import guests" links the import page when it exists, and the page never breaks."""
    reply = client.get(org.url)
    assert reply.status_code == 200
    has_import = "imports.upload" in app.view_functions
    with app.test_request_context():
        from flask import url_for

        target = url_for("imports.upload", slug=org.slug) if has_import else None
    assert ("Import guests" in readable(reply)) is has_import
    if target:
        assert f'href="{target}"' in reply.get_data(as_text=True)


def test_replacing_a_personal_link_ends_the_old_one_and_its_sessions(
    app, client, org, make_guest, sign_in_guest
):
    """A forwarded email: the new link signs in, the old one and the phone using it are out."""
    from checkin.accounts import personal_links

    guest, _ = make_guest(org.slug, "Ada Lovelace")
    phone = app.test_client()
    sign_in_guest(phone, guest)  # makes the first link and signs in with it
    with app.app_context():
        old = personal_links.token_of(personal_links.current(guest))
    home = f"/e/{org.slug}/"
    assert phone.get(home).status_code == 200
    assert org.post(f"{org.url}/attendees/{guest}/relink", {}).status_code == 422
    assert phone.get(home).status_code == 200  # unconfirmed: nothing changed
    reply = org.post(f"{org.url}/attendees/{guest}/relink", {"confirm": "y"})
    assert reply.status_code == 302
    page = client.get(reply.location).get_data(as_text=True)
    assert "New personal link made" in page and "email the ticket" in page
    with app.app_context():
        new = personal_links.url_of(personal_links.current(guest))
    assert new.rsplit("/", 1)[-1] != old
    assert new not in page  # the organizer's page never shows it
    assert phone.get(home).status_code == 404  # the session opened with the old link ended
    assert "Continue as" not in app.test_client().get(f"/in/{old}").get_data(as_text=True)
    assert "Continue as Ada" in app.test_client().get(
        new.replace("http://127.0.0.1:5000", "")
    ).get_data(as_text=True)


def test_another_organizer_cannot_replace_a_guests_link(
    app, org, make_guest, make_organizer, sign_in
):
    """Organizer B gets 404 on A's guest, and A's guest keeps the link."""
    from checkin.accounts import personal_links

    guest, _ = make_guest(org.slug, "Ada Lovelace")
    with app.app_context():
        from checkin.models import Guest as A

        before = personal_links.token_of(personal_links.ensure(db.session.get(A, guest)))
    make_organizer("b@example.org")
    other = app.test_client()
    sign_in("b@example.org", test_client=other)
    token = csrf_token(other, "/events")
    reply = other.post(
        f"{org.url}/attendees/{guest}/relink", data={"csrf_token": token, "confirm": "y"}
    )
    assert reply.status_code == 404
    with app.app_context():
        assert personal_links.token_of(personal_links.current(guest)) == before
