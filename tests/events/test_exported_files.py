"""Exports: the organizer's attendance and networking CSVs, a guest's own cards and contacts;
opened as a spreadsheet would (BOM, CSV reader), hostile text defused, each kept to its owner."""

import csv
import io
import uuid
from datetime import UTC, datetime, time

import pytest
import vobject
from conftest import REUNION_DAY
from sqlalchemy import event, select

from checkin.door import passes
from checkin.extensions import db
from checkin.models import Card, Event, Guest
from checkin.room import cards

ALPHA_NOTE = "A-note-about-C-5d1f"  # A's own note: in A's export, nowhere else
B_NOTE = "B-note-about-A-8e2c"  # B's note: never in A's export or a summary
HOSTILE = [
    ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
    ("+1 555 0100", "'+1 555 0100"),
    ("-2", "'-2"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("Nul\x00l", "Null"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("\u202eexe.txt", "\u202eexe.txt"),
    ('quotes "x", commas\nnewlines', 'quotes "x", commas\nnewlines'),
    ("Party 🎉", "Party 🎉"),
    ("Łukasz Νίκος Zoë", "Łukasz Νίκος Zoë"),
]


@pytest.fixture
def world(app, make_event, make_guest, set_guest):
    """Alpha (organizer A): Ada, Bob, Carol, Dan; Ada in at 18:03 by "North door". A = Ada has
    cards of Carol (mutual, both share contact) and Dan (mutual, Dan shares nothing), Bob one
    of Ada. Bravo (organizer B): Xavier with a card of Yara."""
    alpha = make_event("Alpha Reunion")
    bravo = make_event("Bravo Reunion", email="b@example.org")
    ids = {}
    for key, name, slug in (
        ("a", "Ada Lovelace", alpha),
        ("b", "bob Barker", alpha),
        ("c", "Carol Chen", alpha),
        ("d", "Dan Diaz", alpha),
        ("x", "Xavier Xu", bravo),
        ("y", "Yara Young", bravo),
    ):
        ids[key], _ = make_guest(slug, name, email=f"{key}@example.org")
    set_guest(ids["a"], consent_share_contact=True)
    set_guest(ids["c"], consent_share_contact=True, consent_findable=True, employer="Acme")
    set_guest(ids["c"], networking_email="carol@work.example", role="CTO")
    set_guest(ids["d"], employer="Hidden Corp", linkedin_url="https://linkedin.com/in/dan")
    with app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == alpha))
        north = passes.create(event, "North door", 24)
        ada = db.session.get(Guest, ids["a"])
        ada.checked_in_at = datetime.combine(REUNION_DAY, time(23, 3), tzinfo=UTC)  # 18:03 EST
        ada.checked_in_by_id = north.id
        db.session.commit()
    for author, subject, note, starred in (
        ("a", "c", ALPHA_NOTE, True),
        ("a", "d", "", False),
        ("c", "a", "", False),
        ("d", "a", "", False),
        ("b", "a", B_NOTE, True),
        ("x", "y", "X-note-about-Y", False),
    ):
        record(app, ids[author], ids[subject], note, starred=starred)
    return {"alpha": alpha, "bravo": bravo, "ids": ids}


def record(app, author_id, subject_id, note="", **fields) -> int:
    """A card, its note stored as given (no form cleaning), so any text can reach an export."""
    with app.app_context():
        me, them = db.session.get(Guest, author_id), db.session.get(Guest, subject_id)
        card = cards.record(me, them, str(uuid.uuid4()), **fields).card
        db.session.get(Card, card.id).note = note
        db.session.commit()
        return card.id


def read(reply) -> list[list[str]]:
    """The rows as a spreadsheet reads them: the BOM is required and removed."""
    assert reply.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(reply.data.decode("utf-8-sig"), newline="")))


def as_dicts(rows: list[list[str]]) -> list[dict]:
    """Rows under the header as dicts, up to the first blank line."""
    header, body = rows[0], rows[1:]
    body = body[: body.index([])] if [] in body else body
    return [dict(zip(header, row, strict=True)) for row in body]


@pytest.fixture
def organizer_client(client, sign_in):
    """The client signed in as Alpha's organizer."""
    assert sign_in().status_code == 302
    return client


@pytest.fixture
def ada_client(client, world, sign_in_guest):
    """The client signed in as Ada, a guest of Alpha."""
    sign_in_guest(client, world["ids"]["a"])
    return client


def skip_nul_on_postgres(database_url, value):
    if "\x00" in value and database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL text cannot hold NUL, so no export ever meets one there")


# The organizer's attendance


def test_attendance_lists_every_guest_by_name(world, organizer_client):
    """One row per guest, sorted by name whatever the case; arrival in the event's time."""
    rows = as_dicts(read(organizer_client.get(f"/events/{world['alpha']}/attendance.csv")))
    assert [r["Name"] for r in rows] == ["Ada Lovelace", "bob Barker", "Carol Chen", "Dan Diaz"]
    assert rows[0] == {
        "Name": "Ada Lovelace",
        "Email": "a@example.org",
        "Class year": "2009",
        "Checked in at": f"{REUNION_DAY} 18:03",
        "Door": "North door",
    }
    assert rows[1]["Checked in at"] == "" and rows[1]["Door"] == ""


def test_a_download_is_an_uncached_attachment(world, organizer_client):
    """UTF-8 CSV with CRLF rows, named after the event and its date, never cached."""
    reply = organizer_client.get(f"/events/{world['alpha']}/attendance.csv")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert reply.headers["Cache-Control"] == "no-store"
    name = f"{world['alpha']}-{REUNION_DAY}-attendance.csv"
    assert reply.headers["Content-Disposition"] == f"attachment; filename={name}"
    assert reply.data.count(b"\r\n") == 5 and b"\n" not in reply.data.replace(b"\r\n", b"")


@pytest.mark.parametrize(("value", "expected"), HOSTILE)
def test_hostile_guest_names_are_defused_in_attendance(
    app, world, organizer_client, database_url, set_guest, value, expected
):
    """A guest named like a formula, markup or control characters reads back as safe text."""
    skip_nul_on_postgres(database_url, value)
    set_guest(world["ids"]["b"], name=value, email=value)
    rows = as_dicts(read(organizer_client.get(f"/events/{world['alpha']}/attendance.csv")))
    assert len(rows) == 4
    hostile = [r for r in rows if r["Name"] == expected]
    assert hostile and hostile[0]["Email"] == expected


def test_an_export_is_one_query_whatever_the_size(app, world, organizer_client, make_guest):
    """Ten times the guests, the same number of queries: none per row; the body streams."""
    path = f"/events/{world['alpha']}/networking.csv"

    def queries() -> int:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            reply = organizer_client.get(path)
            assert reply.is_streamed and reply.status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    small = queries()
    for n in range(40):
        make_guest(world["alpha"], f"Guest {n:02d}")
    assert queries() == small


# The organizer's networking summary


def test_networking_counts_per_guest_and_overall(world, organizer_client):
    """Cards each wrote, cards about them, mutual ones, stars; then the event's totals."""
    rows = read(organizer_client.get(f"/events/{world['alpha']}/networking.csv"))
    people = {r["Name"]: r for r in as_dicts(rows)}
    counts = ("Cards recorded", "Recorded by others", "Mutual connections", "Follow-ups starred")
    assert [people["Ada Lovelace"][c] for c in counts] == ["2", "3", "2", "1"]
    assert [people["bob Barker"][c] for c in counts] == ["1", "0", "0", "1"]
    assert [people["Carol Chen"][c] for c in counts] == ["1", "1", "1", "0"]
    overall = rows[rows.index([]) + 1 :]
    assert overall == [
        ["Overall"],
        ["Cards recorded", "5"],
        ["People who recorded at least one card", "4"],
        ["Mutual connections (pairs)", "2"],
        ["Follow-ups starred", "2"],
    ]


@pytest.mark.parametrize("note", [B_NOTE, '=HYPERLINK("x")', "Secret: met at the bar"])
def test_the_summary_holds_no_note(app, world, organizer_client, note):
    """No note's text, nor any tag, appears anywhere in the networking file."""
    record(app, world["ids"]["b"], world["ids"]["c"], note, tags=["coffee"])
    reply = organizer_client.get(f"/events/{world['alpha']}/networking.csv")
    text = reply.data.decode("utf-8-sig")
    assert note not in text and note.lstrip("=") not in text
    assert ALPHA_NOTE not in text and "Coffee" not in text and "coffee" not in text
    assert "Carol Chen" in text


# The guest's own export


def test_my_cards_are_mine_only_with_my_notes(world, ada_client):
    """Ada's file holds Ada's two cards, her note, and nothing of Bob's or Bravo's."""
    reply = ada_client.get(f"/e/{world['alpha']}/my-cards.csv")
    assert reply.headers["Cache-Control"] == "no-store"
    rows = as_dicts(read(reply))
    assert [r["Name"] for r in rows] == ["Carol Chen", "Dan Diaz"]
    carol, dan = rows
    assert carol["Note"] == ALPHA_NOTE and carol["Follow up"] == "yes"
    assert carol["Connected"] == "yes" and carol["Met at"].startswith("20")
    text = reply.data.decode("utf-8-sig")
    assert B_NOTE not in text and "X-note" not in text and "bob" not in text


def test_role_and_contact_only_where_allowed(world, ada_client):
    """Carol is findable and shares: role, employer, email shown; Dan's stay hidden."""
    rows = as_dicts(read(ada_client.get(f"/e/{world['alpha']}/my-cards.csv")))
    carol, dan = rows
    assert (carol["Role"], carol["Employer"]) == ("CTO", "Acme")
    assert (carol["Email"], carol["LinkedIn"]) == ("carol@work.example", "")
    assert dan["Role"] == dan["Employer"] == dan["Email"] == dan["LinkedIn"] == ""
    assert dan["Connected"] == "yes"


@pytest.mark.parametrize(("value", "expected"), HOSTILE)
def test_hostile_notes_and_names_are_defused_in_my_cards(
    app, world, ada_client, database_url, set_guest, value, expected
):
    """My note and their name, however hostile, read back defused and otherwise intact."""
    skip_nul_on_postgres(database_url, value)
    set_guest(world["ids"]["d"], name=value)
    with app.app_context():
        card = db.session.scalar(select(Card).where(Card.subject_id == world["ids"]["d"]))
        card.note = value
        db.session.commit()
    rows = as_dicts(read(ada_client.get(f"/e/{world['alpha']}/my-cards.csv")))
    assert len(rows) == 2
    assert (rows[1]["Name"], rows[1]["Note"]) == (expected, expected)


def test_my_contacts_file_holds_only_shared_contacts(world, ada_client):
    """The .vcf parses, and holds Carol (mutual, both share) but not Dan (shares nothing)."""
    reply = ada_client.get(f"/e/{world['alpha']}/my-contacts.vcf")
    assert reply.status_code == 200 and reply.mimetype == "text/vcard"
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Content-Disposition"].endswith("-my-contacts.vcf")
    found = list(vobject.readComponents(reply.get_data(as_text=True)))
    assert [card.fn.value for card in found] == ["Carol Chen"]
    assert found[0].email.value == "carol@work.example"
    assert "Dan" not in reply.get_data(as_text=True)


def test_no_contacts_until_i_share_mine(world, ada_client, set_guest):
    """With Ada's own sharing off, her files carry no one's contact details."""
    set_guest(world["ids"]["a"], consent_share_contact=False)
    assert ada_client.get(f"/e/{world['alpha']}/my-contacts.vcf").data == b""
    rows = as_dicts(read(ada_client.get(f"/e/{world['alpha']}/my-cards.csv")))
    assert all(r["Email"] == r["LinkedIn"] == "" for r in rows)


# Each export to its owner

ORGANIZER_EXPORTS = ("attendance.csv", "networking.csv")
GUEST_EXPORTS = ("my-cards.csv", "my-contacts.vcf")


@pytest.mark.parametrize("export", ORGANIZER_EXPORTS)
def test_another_organizers_event_is_not_found(world, client, sign_in, export):
    """Organizer B asking for Alpha's exports gets 404 and no data."""
    assert sign_in(email="b@example.org").status_code == 302
    reply = client.get(f"/events/{world['alpha']}/{export}")
    assert reply.status_code == 404 and b"Ada" not in reply.data


@pytest.mark.parametrize("export", ORGANIZER_EXPORTS)
def test_organizer_exports_need_an_organizer(world, client, sign_in_guest, export):
    """Signed out, or signed in as a guest, the organizer's exports send to sign-in."""
    path = f"/events/{world['alpha']}/{export}"
    assert client.get(path).location.startswith("/sign-in?next=")
    sign_in_guest(client, world["ids"]["a"])
    reply = client.get(path)
    assert reply.status_code == 302 and reply.location.startswith("/sign-in?next=")


@pytest.mark.parametrize("export", GUEST_EXPORTS)
def test_guest_exports_need_that_events_guest(world, client, sign_in, export):
    """Signed out, or as the event's organizer, a guest's export is not found."""
    path = f"/e/{world['alpha']}/{export}"
    assert client.get(path).status_code == 404
    assert sign_in().status_code == 302
    reply = client.get(path)
    assert reply.status_code == 404 and ALPHA_NOTE.encode() not in reply.data


@pytest.mark.parametrize("export", GUEST_EXPORTS)
def test_an_guest_cannot_export_another_event(world, ada_client, export):
    """Ada asking for Bravo's export gets 404, never Xavier's cards."""
    reply = ada_client.get(f"/e/{world['bravo']}/{export}")
    assert reply.status_code == 404 and b"Yara" not in reply.data


# Where they are offered


def test_the_event_page_offers_both_exports(world, organizer_client):
    """The organizer's event page links to both CSV downloads."""
    html = organizer_client.get(f"/events/{world['alpha']}").get_data(as_text=True)
    assert f'href="/events/{world["alpha"]}/attendance.csv" download' in html
    assert f'href="/events/{world["alpha"]}/networking.csv" download' in html


def test_my_cards_page_offers_my_exports(world, ada_client):
    """The "People you met" page links to my cards and my contacts."""
    html = ada_client.get(f"/e/{world['alpha']}/cards").get_data(as_text=True)
    assert f'href="/e/{world["alpha"]}/my-cards.csv" download' in html
    assert f'href="/e/{world["alpha"]}/my-contacts.vcf" download' in html


def test_a_half_read_download_leaves_no_session_behind(app, world, organizer_client):
    """A large export abandoned after its first chunk: the next visitor is still signed out."""
    with app.app_context():
        event_id = db.session.scalar(select(Event.id).where(Event.slug == world["alpha"]))
        db.session.add_all(
            Guest(event_id=event_id, name=f"Guest {n:04d}", email=f"g{n}@example.org")
            for n in range(600)
        )
        db.session.commit()
    reply = organizer_client.get(f"/events/{world['alpha']}/attendance.csv", buffered=False)
    first = next(iter(reply.response))
    assert first.startswith(b"\xef\xbb\xbfName,Email") and b"Guest 0599" not in first
    assert app.test_client().get("/sign-in").status_code == 200
    reply.close()
