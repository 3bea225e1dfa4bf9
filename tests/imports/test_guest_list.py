"""Guest-list import, the domain: real exports, hostile files, mapping, duplicates, commit."""

import csv
import io
import os
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from checkin.door import check_in
from checkin.events import tickets
from checkin.extensions import db
from checkin.imports import guest_list
from checkin.imports.files import FileProblem, read_table
from checkin.imports.values import class_year, yes_no
from checkin.models import Event, Guest, Ticket

DATA = Path(__file__).parents[1] / "data"
EVENTBRITE = DATA / "eventbrite-attendee-summary.csv"
GOOGLE_FORMS = DATA / "google-forms-rsvp.csv"
PLAIN = DATA / "plain-name-email.csv"


@pytest.fixture
def event(ctx, make_event):
    """An event (starting in 2026) to import into, loaded in the test's app context."""
    slug = make_event()
    return db.session.scalar(select(Event).where(Event.slug == slug))


def csv_bytes(rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    """Rows written as a CSV file, as a spreadsheet would save them."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def preview_of(
    event, data: bytes, overrides: dict[int, str] | None = None, keep_extra=True
) -> guest_list.Preview:
    """Read a file and preview it under the guessed (or overridden) mapping, keeping the other
    columns as the organizer may choose to (keep_extra=False: as the preview starts)."""
    table = read_table(data)
    mapping = guest_list.choose_mapping(table.headers, overrides)
    return guest_list.preview(event, table, mapping, keep_extra)


def commit_of(event, data: bytes, overrides=None, keep_extra=True) -> guest_list.Preview:
    """Read a file and import it (the other columns kept, unless keep_extra=False)."""
    table = read_table(data)
    mapping = guest_list.choose_mapping(table.headers, overrides)
    return guest_list.commit(event, table, mapping, keep_extra=keep_extra)


def guest_count() -> int:
    return db.session.scalar(select(func.count(Guest.id)))


def person(name: str) -> Guest:
    return db.session.scalar(select(Guest).where(Guest.name == name))


# The three real exports


def test_eventbrite_export_maps_every_column_from_its_header(event):
    """Eventbrite's custom questions land in profile fields; its bookkeeping is kept as extra."""
    table = read_table(EVENTBRITE.read_bytes())
    mapping = dict(zip(table.headers, guest_list.choose_mapping(table.headers), strict=True))
    assert table.encoding == "utf-8 (with BOM)" and table.delimiter == ","
    assert mapping == {
        "Order #": "extra",
        "Order Date": "extra",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Quantity": "extra",
        "Ticket Type": "extra",
        "Attendee #": "external_ref",
        "Barcode #": "extra",
        "Attendee Status": "status",
        "What year did you graduate?": "class_year",
        "Which residence hall did you live in?": "residence_hall",
        "Clubs, teams or groups you were part of": "clubs",
        "What industry do you work in?": "industry",
        "Topics you'd like to talk about": "interests",
        "Are you open to mentoring a recent graduate?": "willing_to_mentor",
    }


def test_the_other_columns_are_not_kept_unless_chosen(event):
    """Without "Keep the other columns", no guest has an extra: Eventbrite's order numbers,
    barcodes and statuses are not stored; the preview names the columns it would keep."""
    result = commit_of(event, EVENTBRITE.read_bytes(), keep_extra=False)
    assert result.other_columns == [
        "Order #", "Order Date", "Quantity", "Ticket Type", "Barcode #", "Attendee Status",
    ]  # fmt: skip
    assert result.valid == 228 and not result.keep_extra
    assert {len(extra) for extra in db.session.scalars(select(Guest.extra))} == {0}
    assert person("Émilie Fontaine").external_ref == "14030000071"  # mapped fields stay


def test_keeping_the_other_columns_changes_the_fingerprint(event):
    """A preview with and without the other columns is not the same import."""
    table = read_table(GOOGLE_FORMS.read_bytes())
    mapping = guest_list.choose_mapping(table.headers)
    kept = guest_list.preview(event, table, mapping, keep_extra=True).fingerprint
    dropped = guest_list.preview(event, table, mapping).fingerprint
    assert kept != dropped
    with pytest.raises(guest_list.PreviewChanged):
        guest_list.commit(event, table, mapping, dropped, keep_extra=True)
    assert guest_count() == 0


def test_eventbrite_export_imports_attending_and_skips_refunded_and_transferred(event):
    """228 attending guests import; the 7 refunded and 5 transferred are reported, not imported."""
    result = commit_of(event, EVENTBRITE.read_bytes())
    assert (result.valid, len(result.errors), len(result.duplicates)) == (228, 0, 0)
    assert len(result.skipped) == 12
    assert {i.message for i in result.skipped} == {
        "Registration status is “Refunded”.",
        "Registration status is “Transferred”.",
    }
    assert any(i.row == 7 and "Refunded" in i.message for i in result.skipped)  # Łukasz O'Brien
    assert guest_count() == 228
    assert db.session.scalar(select(func.count(Ticket.id))) == 228
    assert person("Łukasz O'Brien") is None and person("Renée Müller") is None


def test_eventbrite_guest_keeps_the_whole_profile(event):
    """Émilie Fontaine: accented name, year, hall, clubs, topics, mentoring, registration ID."""
    commit_of(event, EVENTBRITE.read_bytes())
    emilie = person("Émilie Fontaine")
    assert emilie.email == "emilie.fontaine5@example.org"
    assert emilie.class_year == 2014 and emilie.residence_hall == "Baker House"
    assert emilie.clubs == "Student Newspaper; Theatre Guild"
    assert emilie.industry == "Education"
    assert emilie.interests == "career change; venture capital; writing"
    assert emilie.willing_to_mentor is True and emilie.consent_profile is None
    assert emilie.external_ref == "14030000071" and emilie.source == "import"
    assert emilie.extra["Order #"] == "1403000007" and emilie.extra["Ticket Type"] == "Alumni"
    assert person("Nnamdi Œhlenschläger").willing_to_mentor is True
    assert person("Björn Ó Súilleabháin").class_year == 2014
    assert person("Ines Wójcik").willing_to_mentor is False


def test_imported_guests_have_working_tickets_and_are_found_at_the_door(event):
    """Each imported guest gets a ticket whose code is theirs, and the door's search finds them."""
    commit_of(event, PLAIN.read_bytes())
    ximena = person("Ximena Ó Súilleabháin")
    ticket = tickets.current_ticket(ximena.id)
    assert tickets.digest(tickets.code_of(ticket)) == ticket.code_hash
    assert [p.name for p in check_in.search(event.id, "ximena o suill")] == [
        "Ximena Ó Súilleabháin"
    ]


def test_google_forms_export_reads_apostrophe_years(event):
    """Google Forms: full name, '12-style years, majors, comma-separated lists, timestamp kept."""
    result = commit_of(event, GOOGLE_FORMS.read_bytes())
    assert (result.valid, len(result.errors), len(result.skipped)) == (90, 0, 0)
    liam = person("Liam Mensah")
    assert liam.class_year == 2012 and liam.major == "Computer Science"
    assert liam.residence_hall == "Kendall Commons" and liam.clubs == ""
    assert liam.interests == "climate tech; UX research; medical school"
    assert liam.extra == {"Timestamp": "10/1/2026 9:00:00"}
    assert person("Ximena Petrov").class_year == 2005
    assert person("Liam García").class_year == 1980
    assert person("Hélène Lefèvre").class_year == 2022
    assert person("Björn Iyer").clubs == "Robotics Club; Outing Club; Women in Engineering"


def test_plain_list_imports_names_and_emails(event):
    """A plain name,email list (CRLF line ends) imports all 25 with accents intact."""
    result = commit_of(event, PLAIN.read_bytes())
    assert result.valid == 25 and guest_count() == 25
    assert person("Gökhan Smith").email == "gokhan.smith67@example.org"
    assert person("Gökhan Smith").class_year is None


def test_importing_the_same_file_twice_adds_nobody_new(event):
    """The second import reports everyone as already on the list, and refuses to commit nothing."""
    commit_of(event, EVENTBRITE.read_bytes())
    again = preview_of(event, EVENTBRITE.read_bytes())
    assert again.valid == 0 and len(again.duplicates) == 228 and len(again.skipped) == 12
    assert again.duplicates[0].message == "Already on the guest list (same email)."
    with pytest.raises(guest_list.ImportRefused):
        commit_of(event, EVENTBRITE.read_bytes())
    assert guest_count() == 228


def test_guests_already_on_another_event_are_not_duplicates(event, make_event):
    """Duplicates are per event: the same file imports fully into a second event."""
    commit_of(event, PLAIN.read_bytes())
    other = db.session.scalar(select(Event).where(Event.slug == make_event("Spring Gala")))
    assert preview_of(other, PLAIN.read_bytes()).valid == 25


# Mapping


def test_mapping_override_moves_columns(event):
    """The organizer's choices win: Major kept as extra, Industry not imported at all."""
    overrides = {4: "extra", 7: "ignore"}  # Major, Industry in the Google Forms export
    result = commit_of(event, GOOGLE_FORMS.read_bytes(), overrides)
    liam = person("Liam Mensah")
    assert result.mapping[4] == "extra" and result.mapping[7] == "ignore"
    assert liam.major == "" and liam.extra["Major"] == "Computer Science"
    assert liam.industry == "" and "Industry" not in liam.extra


def test_status_kept_as_extra_imports_refunded_guests_too(event):
    """If the organizer says the status column is just information, nobody is skipped."""
    result = preview_of(event, EVENTBRITE.read_bytes(), {9: "extra"})
    assert result.valid == 240 and not result.skipped


def test_two_columns_for_one_field_is_a_problem_and_commits_nothing(event):
    """Mapping two columns to Email is refused with a message naming both."""
    table = read_table(PLAIN.read_bytes())
    mapping = ["email", "email"]
    result = guest_list.preview(event, table, mapping)
    assert result.valid == 0
    assert "Only one column can be Email; now “name”, “email” are." in result.problems
    with pytest.raises(guest_list.ImportRefused):
        guest_list.commit(event, table, mapping)
    assert guest_count() == 0


def test_a_mapping_without_a_name_is_a_problem(event):
    """Without a name column nothing can import, and the preview says so."""
    result = preview_of(event, PLAIN.read_bytes(), {0: "extra"})
    assert result.problems == ["Choose the column that holds the name (or first and last name)."]


def test_consent_question_maps_to_consent_profile(event):
    """A Yes/No question about showing the profile becomes consent_profile."""
    data = csv_bytes(
        [
            ["Name", "Email", "May other guests see your profile?"],
            ["Ada Lovelace", "ada@example.org", "Yes"],
            ["Grace Hopper", "grace@example.org", "No"],
            ["Alan Turing", "alan@example.org", "Maybe later"],
            ["Mary Somerville", "mary@example.org", ""],
        ]
    )
    result = commit_of(event, data)
    assert result.mapping[2] == "consent_profile"
    assert person("Ada Lovelace").consent_profile is True
    assert person("Grace Hopper").consent_profile is False
    alan = person("Alan Turing")
    assert alan.consent_profile is None
    assert alan.extra == {"May other guests see your profile?": "Maybe later"}
    assert person("Mary Somerville").consent_profile is None


def test_consent_answer_prefills_findable_and_nothing_else(event):
    """A yes makes the guest findable; sharing contact details and the digest stay unticked."""
    data = csv_bytes(
        [
            ["Name", "May other guests see your profile?"],
            ["Ada Lovelace", "Yes"],
            ["Grace Hopper", "No"],
            ["Alan Turing", ""],
        ]
    )
    commit_of(event, data)
    ada = person("Ada Lovelace")
    assert (ada.consent_findable, ada.consent_share_contact, ada.consent_digest) == (
        True,
        False,
        False,
    )
    assert person("Grace Hopper").consent_findable is False
    assert person("Alan Turing").consent_findable is False


def test_work_city_and_mentoring_topics_are_guessed_from_headers(event):
    """Employer, job title, city, LinkedIn and both help questions map to their own fields."""
    data = csv_bytes(
        [
            [
                "Name",
                "Company",
                "Job title",
                "City",
                "LinkedIn profile",
                "What could you help others with?",
                "What would you like advice on?",
            ],
            [
                "Ada Lovelace",
                "Analytical Engines",
                "Founder",
                "London",
                "https://www.linkedin.com/in/ada",
                "math, fundraising",
                "hiring; public speaking",
            ],
        ]
    )
    result = commit_of(event, data)
    assert result.mapping == [
        "name",
        "employer",
        "role",
        "city",
        "linkedin_url",
        "can_help_with",
        "wants_help_with",
    ]
    ada = person("Ada Lovelace")
    assert (ada.employer, ada.role, ada.city) == ("Analytical Engines", "Founder", "London")
    assert ada.linkedin_url == "https://www.linkedin.com/in/ada"
    assert ada.can_help_with == "math; fundraising"
    assert ada.wants_help_with == "hiring; public speaking"


# Values


@pytest.mark.parametrize(
    "text, year",
    [
        ("2009", 2009),
        ("'09", 2009),
        ("’09", 2009),
        ("09", 2009),
        ("2009.0", 2009),
        ("Class of 2009", 2009),
        ("class of '09", 2009),
        ("c/o 2010", 2010),
        ("'85", 1985),
        ("'32", 2032),
        ("'33", 1933),
        (" 1999 ", 1999),
    ],
)
def test_class_years_written_every_which_way(text, year):
    """Class years as alumni type them; two digits pivot around the event's year (2026)."""
    assert class_year(text, 2026) == year


@pytest.mark.parametrize(
    "text, message",
    [
        ("abc", "Class year “abc” is not a year."),
        ("20009", "Class year “20009” is not a year."),
        ("1850", "Class year 1850 is out of range."),
        ("2099", "Class year 2099 is out of range."),
    ],
)
def test_impossible_class_years_are_row_errors(event, text, message):
    """A year that cannot be read is an error on that row, with the row number."""
    data = csv_bytes([["name", "class year"], ["Ada", "2009"], ["Bob", text]])
    result = preview_of(event, data)
    assert result.valid == 1
    assert [(i.row, i.message) for i in result.errors] == [(3, message)]


@pytest.mark.parametrize(
    "text, answer",
    [
        ("Yes", True),
        ("yes, happy to", True),
        ("Y", True),
        ("TRUE", True),
        ("x", True),
        ("No", False),
        ("no thanks", False),
        ("n", False),
        ("0", False),
        ("Maybe", None),
        ("", None),
    ],
)
def test_yes_no_answers(text, answer):
    """Yes-like, No-like, and anything else unknown."""
    assert yes_no(text) is answer


@pytest.mark.parametrize(
    "address",
    [
        "not-an-email",
        "ada@",
        "@example.org",
        "ada@@example.org",
        "ada@example",
        "ada lovelace@example.org",
        "ada@localhost",
        "ada@printer.local",
    ],
)
def test_invalid_emails_are_row_errors(event, address):
    """A malformed address stops that row only, and the message quotes it."""
    data = csv_bytes([["name", "email"], ["Ada", address], ["Bob", "bob@example.org"]])
    result = preview_of(event, data)
    assert result.valid == 1 and result.errors[0].row == 2
    assert result.errors[0].message.startswith(f"Email “{address}” is not valid")


def test_emails_are_stored_lower_case_and_compared_without_case(event):
    """Ada@Example.ORG and ada@example.org are the same guest: the second is a duplicate."""
    data = csv_bytes([["name", "email"], ["Ada", "Ada@Example.ORG"], ["Ada L", "ada@example.org"]])
    result = commit_of(event, data)
    assert person("Ada").email == "ada@example.org"
    assert [(i.row, i.message) for i in result.duplicates] == [(3, "Same email as row 2.")]


def test_an_email_already_on_the_list_in_another_case_is_a_duplicate(event):
    """Someone added by hand as Ada@Example.ORG is already there when the file says ada@…."""
    db.session.add(Guest(event_id=event.id, name="Ada", email="Ada@Example.ORG"))
    db.session.commit()
    data = csv_bytes([["name", "email"], ["Ada Lovelace", "ada@example.org"], ["Bob", ""]])
    result = preview_of(event, data)
    assert [(i.row, i.message) for i in result.duplicates] == [
        (2, "Already on the guest list (same email).")
    ]
    assert result.valid == 1


def test_guests_without_email_are_told_apart_by_name(event):
    """With no email, the same name twice is a duplicate; re-importing them adds nobody."""
    data = csv_bytes([["name", "email"], ["Ada Lovelace", ""], ["ada lovelace", ""], ["Bob", ""]])
    result = commit_of(event, data)
    assert result.valid == 2 and result.duplicates[0].message == "Same name as row 2."
    assert preview_of(event, data).valid == 0


def test_a_row_without_a_name_is_an_error(event):
    """No name (nor first and last name) is an error for that row."""
    data = csv_bytes(
        [
            ["First Name", "Last Name", "Email"],
            ["", "", "x@example.org"],
            ["Ada", "", "ada@example.org"],
            ["", "Hopper", "grace@example.org"],
        ]
    )
    result = commit_of(event, data)
    assert [(i.row, i.message) for i in result.errors] == [(2, "No name.")]
    assert person("Ada") and person("Hopper")


# Hostile files


NAMES = [
    ["name", "email"],
    ["Renée Müller", "renee@example.org"],
    ["Zoë Çelik", "zoe@example.org"],
    ["Oisín Ó Súilleabháin", "oisin@example.org"],
    ["Gökhan Núñez", "gokhan@example.org"],
]


@pytest.mark.parametrize(
    "encoding, detected",
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8 (with BOM)"),
        ("utf-16", "utf-16 (with BOM)"),
        ("utf-16-le", "utf_16_le"),
        ("utf-16-be", "utf_16_be"),
        ("utf-32", "utf-32 (with BOM)"),
        ("cp1252", "cp1252"),
        ("latin-1", "cp1252"),
    ],
)
def test_encodings_are_detected(event, encoding, detected):
    """UTF-8 (BOM or not), UTF-16 (BOM or not), UTF-32, Windows-1252, Latin-1 all read the same."""
    table = read_table(csv_bytes(NAMES, encoding=encoding))
    assert table.encoding == detected
    assert [cells[0] for _, cells in table.rows] == [row[0] for row in NAMES[1:]]


JAPANESE = [
    ["氏名", "メールアドレス", "卒業年"],
    ["山田 太郎", "taro@example.jp", "2010"],
    ["鈴木 花子", "hanako@example.jp", "2012"],
    ["佐藤 一", "hajime@example.jp", "2015"],
]


RUSSIAN = [
    ["ФИО", "Email", "Факультет"],
    ["Иван Петров", "ivan@example.ru", "Физика"],
    ["Мария Иванова", "maria@example.ru", "Физика"],
]


@pytest.mark.parametrize(
    "encoding, detected, rows",
    [
        ("shift_jis", "cp932", JAPANESE),
        ("cp1251", "cp1251", RUSSIAN),
    ],
)
def test_non_western_code_pages_are_detected(event, encoding, detected, rows):
    """A Japanese Excel's Shift-JIS and a Russian one's Windows-1251 read as what was typed."""
    table = read_table(csv_bytes(rows, encoding=encoding))
    assert table.encoding == detected and table.headers == rows[0]
    assert [cells for _, cells in table.rows] == rows[1:]


def test_a_guessed_encoding_says_so_and_how_to_avoid_guessing(event):
    """Legacy code pages are guesses (a one-line file can fool them): the preview says so."""
    guessed = read_table(csv_bytes(RUSSIAN, encoding="cp1251")).warnings
    assert guessed[0].startswith("This file is not UTF-8, so its encoding was guessed: cp1251.")
    assert "“CSV UTF-8”" in guessed[0]
    assert read_table(csv_bytes(RUSSIAN)).warnings == []


def test_whole_plain_export_in_windows_1252_reads_the_same_as_utf8(event):
    """The plain sample saved by Excel as Windows-1252 gives the same names as the UTF-8 one."""
    text = PLAIN.read_text(encoding="utf-8")
    assert read_table(text.encode("cp1252")).rows == read_table(text.encode()).rows


def test_windows_1252_only_letters_survive(event):
    """Œ exists in Windows-1252 but not Latin-1: a short file with it still reads right."""
    data = "name;email\nZoë Çelik;z@example.org\nŒhlenschläger;o@example.org\n".encode("cp1252")
    table = read_table(data)
    assert table.encoding == "cp1252" and table.rows[1][1][0] == "Œhlenschläger"


def test_a_file_mixing_encodings_flags_the_unreadable_rows(event):
    """UTF-8 with one Windows-1252 row: the readable rows import, the other is an error."""
    data = "name,email\nRenée,renee@example.org\n".encode() + b"Zo\xeb,zoe@example.org\n"
    result = preview_of(event, data)
    assert result.table.warnings[0].startswith("Parts of this file are not UTF-8")
    assert result.valid == 1 and result.errors[0].row == 3
    assert "could not be read" in result.errors[0].message


@pytest.mark.parametrize(
    "delimiter, name", [(",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "vertical bar")]
)
def test_delimiters_are_detected(event, delimiter, name):
    """Comma, semicolon, tab or bar: the same list reads the same, with commas inside cells."""
    rows = [
        ["Name", "Email", "Clubs"],
        ["Ada Lovelace", "ada@example.org", "Rowing, Chess Club"],
        ["Grace Hopper", "grace@example.org", "Debate Society"],
    ]
    result = preview_of(event, csv_bytes(rows, delimiter))
    assert result.table.delimiter_name == name and result.valid == 2
    assert result.guests[0]["values"]["clubs"] == "Rowing; Chess Club"


def test_semicolon_file_with_commas_in_every_row_is_still_semicolons(event):
    """European exports: semicolons between cells, commas inside them."""
    data = b"Name;Email;Interests\nAda;ada@example.org;a, b, c\nBob;bob@example.org;d, e\n"
    assert read_table(data).delimiter == ";"


def test_ragged_rows(event):
    """Too few cells read as blanks; extra filled cells are an error naming the counts."""
    data = (
        b"name,email,class year\n"
        b"Ada,ada@example.org\n"
        b"Bob,bob@example.org,2009,,\n"
        b"Cy,cy@example.org,2010,oops\n"
    )
    result = preview_of(event, data)
    assert [g["values"]["name"] for g in result.guests] == ["Ada", "Bob"]
    assert result.guests[0]["values"]["class_year"] is None
    assert [(i.row, i.message) for i in result.errors] == [
        (
            4,
            "This row has 4 cells but the header has 3; a comma inside a cell may be missing "
            "its quotes.",
        )
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"name,email\rAda,ada@example.org\rBob,bob@example.org\r",  # old Mac Excel: CR only
        b"name,email\r\nAda,ada@example.org\nBob,bob@example.org\r",  # mixed
        b"name;email\rAda;ada@example.org\rBob;bob@example.org",  # CR only, no final line end
    ],
)
def test_any_line_endings_read_the_same(event, data):
    """CR, LF and CRLF line ends, even mixed in one file, give the same two guests."""
    result = preview_of(event, data)
    assert [g["values"]["name"] for g in result.guests] == ["Ada", "Bob"]
    assert [g["row"] for g in result.guests] == [2, 3]


@pytest.mark.parametrize(
    "data, row",
    [
        (b'name,email\n"Ada,ada@example.org\nBob,bob@example.org\n', 2),
        (b'name,email\nAda,ada@example.org\nBob,"bob@example.org\nCy,cy@example.org\n', 3),
        (
            b'name,email\nAda,ada@example.org\n"Bob,bob@example.org\n'
            + b"".join(b"G%d,g%d@example.org\n" % (i, i) for i in range(20_000)),
            3,
        ),
    ],
)
def test_a_quote_that_never_closes_is_a_file_problem_naming_its_row(data, row):
    """Every row after an unclosed quote would be one cell: refused, saying which row."""
    with pytest.raises(FileProblem, match=f"row {row}") as problem:
        read_table(data)
    assert "quote" in str(problem.value)


def test_a_quote_closed_rows_later_makes_that_row_an_error(event):
    """A stray quote swallowing rows up to the next quote: the swallowed row is an error."""
    data = b'name,email,clubs\n"Ada,ada@example.org,\nBob,bob@example.org,"Rowing"\nCy,cy@x.org,\n'
    result = preview_of(event, data)
    assert [g["values"]["name"] for g in result.guests] == ["Cy"]
    assert result.errors[0].row == 2
    assert result.errors[0].message.startswith("Name “Ada,ada@example.org,…” runs over several")


def test_a_stray_quote_inside_a_cell_is_just_a_character(event):
    """Ada "the" Lovelace (quotes not at the start of a cell) imports as typed."""
    result = preview_of(event, b'name,email\nAda "the" Lovelace,ada@example.org\n')
    assert result.guests[0]["values"]["name"] == 'Ada "the" Lovelace'


def test_quote_heavy_files_are_read_in_well_under_a_second():
    """csv.Sniffer took 20 s on this 90 KB shape; the delimiter guess must stay linear."""
    started = time.perf_counter()
    read_table(b"name,email\n" + b'a,"b\n' * 15_000)
    assert time.perf_counter() - started < 1


def test_nul_bytes_are_removed_and_reported(event):
    """NUL bytes inside cells are dropped, with a warning saying so."""
    result = preview_of(event, b"name,email\nAda\x00 Lovelace,ada@example.org\x00\n")
    assert result.guests[0]["values"]["name"] == "Ada Lovelace"
    assert result.guests[0]["values"]["email"] == "ada@example.org"
    assert result.table.warnings == ["Removed 2 invisible control character(s), such as NUL bytes."]


def test_bidi_overrides_and_stray_byte_order_marks_are_removed(event):
    """A right-to-left override could show a name as another; files joined keep a BOM inside."""
    data = "name,email\nAda\u202e ecalevoL,ada@example.org\n\ufeffBob,bob@example.org\n"
    result = preview_of(event, data.encode())
    assert [g["values"]["name"] for g in result.guests] == ["Ada ecalevoL", "Bob"]
    assert result.table.warnings == ["Removed 2 invisible control character(s), such as NUL bytes."]


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", "\ufeff".encode()])
def test_an_empty_file_is_a_problem(data):
    """An empty file cannot be read at all."""
    with pytest.raises(FileProblem, match="The file is empty."):
        read_table(data)


def test_a_header_without_rows_previews_nobody(event):
    """A header-only file reads, and previews zero guests with no errors."""
    result = preview_of(event, b"Name,Email\r\n")
    assert result.table.headers == ["Name", "Email"] and result.valid == 0 and not result.errors


def xlsx_bytes() -> bytes:
    """The start of a real .xlsx: a zip archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, message",
    [
        (xlsx_bytes(), "This looks like an Excel file (.xlsx), not a CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "old Excel file (.xls)"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "This is an image (PNG), not a CSV."),
        (b"%PDF-1.7\n" + os.urandom(200), "This is a PDF"),
        (os.urandom(4000), "not text"),
        (bytes(range(32)) * 50, "binary data"),
    ],
)
def test_binary_files_are_refused_with_a_helpful_message(data, message):
    """Spreadsheets, images and noise uploaded by mistake say what they are and what to do."""
    with pytest.raises(FileProblem) as problem:
        read_table(data)
    assert message in str(problem.value)


def test_excel_message_says_export_as_csv():
    """The .xlsx message tells the organizer how to get a CSV."""
    with pytest.raises(FileProblem, match="Download › CSV"):
        read_table(xlsx_bytes())


def test_duplicate_headers_are_told_apart(event):
    """Two Email columns: the second is renamed, kept as extra, and the file says so."""
    data = csv_bytes([["Name", "Email", "Email"], ["Ada", "ada@example.org", "ada@work.example"]])
    result = commit_of(event, data)
    assert result.table.headers == ["Name", "Email", "Email (2)"]
    assert result.mapping == ["name", "email", "extra"]
    assert result.table.warnings == [
        "Two columns are called “Email”; the later one is shown as “Email (2)”."
    ]
    assert person("Ada").extra == {"Email (2)": "ada@work.example"}


def test_thousands_of_columns_are_refused():
    """A first row of 5,000 cells is not a guest list's header."""
    with pytest.raises(FileProblem, match="5,000 columns"):
        read_table(",".join(f"c{i}" for i in range(5000)).encode() + b"\nAda\n")


def test_a_first_row_of_guest_data_is_reported_as_no_header(event):
    """A list without a header row: the first guest would be taken for column names; said so."""
    result = preview_of(event, b"Ada Lovelace,ada@example.org\nBob,bob@example.org\n")
    assert result.table.warnings[0].startswith("The first row looks like a guest, not column names")
    assert result.problems == ["Choose the column that holds the name (or first and last name)."]
    assert result.valid == 0


def test_overlong_headers_are_shortened():
    """A header cell of thousands of characters is cut to 300 for the mapping form."""
    headers = read_table(b"name," + b"Q" * 5000 + b"\nAda,x\n").headers
    assert headers[1] == "Q" * 299 + "…"


def test_blank_headers_get_column_numbers():
    """An unnamed column is called by its position."""
    assert read_table(b"Name,,Email\nAda,x,ada@example.org\n").headers == [
        "Name",
        "Column 2",
        "Email",
    ]


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://evil.example","Click me")', "+1+1", "-2+3", "@SUM(A1:A2)", "=1+1"],
)
def test_formula_looking_cells_are_stored_as_plain_text(event, cell):
    """Cells that look like spreadsheet formulas are text: stored exactly, never evaluated."""
    commit_of(event, csv_bytes([["name", "major"], [cell, cell]]))
    stored = db.session.scalar(select(Guest))
    assert stored.name == cell and stored.major == cell


def test_markup_in_names_is_stored_as_text(event):
    """Script tags and htmx attributes in a name are kept as the literal text typed."""
    name = '<script>alert(1)</script><b hx-get="/events" hx-trigger="load">Bob</b>'
    commit_of(event, csv_bytes([["name"], [name]]))
    assert db.session.scalar(select(Guest.name)) == name


def test_very_long_cells_are_row_errors(event):
    """Cells longer than their column holds stop that row with a message saying which."""
    data = csv_bytes(
        [
            ["name", "email", "Notes"],
            ["A" * 201, "a@example.org", ""],
            ["Bob", "bob@example.org", "x" * 2001],
            ["Cy", "cy@example.org", "ok"],
        ]
    )
    result = preview_of(event, data)
    assert [(i.row, i.message) for i in result.errors] == [
        (2, "Name is longer than 200 characters."),
        (3, "“Notes” is longer than 2,000 characters."),
    ]
    assert result.valid == 1


def test_a_gigantic_cell_is_a_file_problem():
    """A 200,000-character cell is not a guest list."""
    with pytest.raises(FileProblem, match="could not be read as CSV|over 100,000 characters"):
        read_table(b"name\n" + b"A" * 200_000 + b"\n")


def test_quoted_cells_with_line_breaks_keep_spreadsheet_row_numbers(event):
    """A multi-line cell does not shift the row numbers the organizer sees in the spreadsheet."""
    data = b'name,email,Notes\nAda,ada@example.org,"line one\nline two"\nBob,not-an-email,x\n'
    result = preview_of(event, data)
    assert result.guests[0]["values"]["extra"] == {"Notes": "line one\nline two"}
    assert result.errors[0].row == 3


def test_more_than_the_row_cap_is_refused():
    """50,001 guests is over the cap: the file is refused with a clear message."""
    data = b"name\n" + b"Guest\n" * 50_001
    with pytest.raises(FileProblem, match="more than 50,000 guests"):
        read_table(data)
    assert len(read_table(b"name\n" + b"Guest\n" * 50_000).rows) == 50_000


# Size and safety


def big_export(rows: int) -> bytes:
    """An Eventbrite-shaped export with many distinct attending guests."""
    sample = list(csv.reader(io.StringIO(EVENTBRITE.read_text(encoding="utf-8-sig"))))
    out = [sample[0]]
    for i in range(rows):
        row = list(sample[1 + i % 240])
        row[4], row[7], row[9] = f"guest{i}@example.org", str(i), "Attending"
        out.append(row)
    return csv_bytes(out)


def test_twenty_thousand_rows_preview_and_commit_in_seconds(event):
    """20,000 rows: preview and commit each take seconds, and every guest gets a ticket."""
    data = big_export(20_000)
    started = time.perf_counter()
    result = preview_of(event, data)
    previewed = time.perf_counter()
    commit_of(event, data)
    committed = time.perf_counter()
    print(f"20,000 rows: preview {previewed - started:.2f} s, commit {committed - previewed:.2f} s")
    assert result.valid == 20_000
    assert guest_count() == 20_000
    assert db.session.scalar(select(func.count(Ticket.id))) == 20_000
    assert previewed - started < 15 and committed - previewed < 30


def test_a_failure_while_writing_leaves_nothing_behind(event, monkeypatch):
    """All or nothing: if tickets cannot be issued, no guest is left either."""

    def broken(*_args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tickets, "issue_first", broken)
    with pytest.raises(RuntimeError):
        commit_of(event, PLAIN.read_bytes())
    assert guest_count() == 0


def test_commit_writes_exactly_the_preview_it_is_given(event):
    """The fingerprint of a preview lets the commit through; the same file and mapping match."""
    table = read_table(PLAIN.read_bytes())
    mapping = guest_list.choose_mapping(table.headers)
    shown = guest_list.preview(event, table, mapping).fingerprint
    assert len(shown) == 32
    assert guest_list.commit(event, table, mapping, shown).valid == 25 and guest_count() == 25


@pytest.mark.parametrize("change", ["mapping", "list", "file"])
def test_commit_refuses_when_anything_differs_from_the_preview(event, change):
    """Another mapping, someone added meanwhile, or other file contents: nothing is written."""
    table = read_table(PLAIN.read_bytes())
    mapping = guest_list.choose_mapping(table.headers)
    shown = guest_list.preview(event, table, mapping).fingerprint
    if change == "mapping":
        mapping = ["name", "extra"]
    elif change == "list":
        db.session.add(Guest(event_id=event.id, name="Early", email="Gokhan.Smith67@example.org"))
        db.session.commit()
    else:
        table.rows[0][1][0] = "Mallory"
    before = guest_count()
    with pytest.raises(guest_list.PreviewChanged, match="changed since this preview"):
        guest_list.commit(event, table, mapping, shown)
    assert guest_count() == before


def test_preview_writes_nothing(event):
    """Previewing a file, however often, adds no one."""
    for _ in range(2):
        assert preview_of(event, EVENTBRITE.read_bytes()).valid == 228
    assert guest_count() == 0
