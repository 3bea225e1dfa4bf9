"""The import-guests command: the same preview as the page, written only with --commit."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from checkin.extensions import db
from checkin.models import Guest, Ticket

DATA = Path(__file__).parents[1] / "data"
EVENTBRITE = str(DATA / "eventbrite-attendee-summary.csv")
GOOGLE_FORMS = str(DATA / "google-forms-rsvp.csv")


def count(app, model=Guest) -> int:
    """How many rows of a model there are."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def slug(make_event):
    """An event to import into."""
    return make_event()


def run(runner, *args):
    """Run `flask import-guests ...`."""
    return runner.invoke(args=["import-guests", *args])


def test_preview_is_readable_and_writes_nothing(app, runner, slug):
    """Without flags it prints the mapping, counts and problem rows, and adds nobody."""
    result = run(runner, slug, EVENTBRITE)
    assert result.exit_code == 0, result.output
    assert "240 rows (utf-8 (with BOM), comma-separated)." in result.output
    assert "  Attendee Status -> status" in result.output
    assert "  row 2: Émilie Fontaine <emilie.fontaine5@example.org> 2014" in result.output
    assert (
        "Would import 228; 0 with errors, 0 duplicates, 12 refunded or transferred."
        in result.output
    )
    assert "  skipped: row 7: Registration status is “Refunded”." in result.output
    assert "Nothing written: run again with --commit to import." in result.output
    assert count(app) == 0


def test_json_preview(app, runner, slug):
    """--json prints one object with valid, errors, duplicates and skipped; no created."""
    result = run(runner, slug, EVENTBRITE, "--json")
    report = json.loads(result.output)
    assert (report["valid"], report["errors"], report["duplicates"]) == (228, [], [])
    assert len(report["skipped"]) == 12
    assert report["skipped"][0] == {"row": 7, "message": "Registration status is “Refunded”."}
    assert report["preview"][0]["name"] == "Émilie Fontaine"
    assert "created" not in report and count(app) == 0


def test_commit_imports_and_reports_created(app, runner, slug):
    """--commit --json writes the guests with tickets and says how many."""
    report = json.loads(run(runner, slug, EVENTBRITE, "--commit", "--json").output)
    assert report["created"] == 228 and count(app) == 228 and count(app, Ticket) == 228


def test_committing_twice_creates_nobody_the_second_time(app, runner, slug):
    """Running the same import again reports everyone as duplicates and creates 0."""
    run(runner, slug, GOOGLE_FORMS, "--commit")
    result = run(runner, slug, GOOGLE_FORMS, "--commit", "--json")
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["created"] == 0 and len(report["duplicates"]) == 90
    assert report["duplicates"][0] == {
        "row": 2,
        "message": "Already on the guest list (same email).",
    }
    assert count(app) == 90


def test_map_overrides_a_column(app, runner, slug):
    """--map "COLUMN=field" changes where a column goes: status as extra imports all 240."""
    report = json.loads(
        run(
            runner,
            slug,
            EVENTBRITE,
            "--map",
            "Attendee Status=extra",
            "--keep-extra",
            "--commit",
            "--json",
        ).output  # fmt: skip
    )
    assert report["valid"] == report["created"] == 240
    with runner.app.app_context():
        refunded = db.session.scalar(select(Guest).where(Guest.name == "Łukasz O'Brien"))
        assert refunded.extra["Attendee Status"] == "Refunded"


def test_without_keep_extra_the_other_columns_are_dropped(app, runner, slug):
    """The same import without --keep-extra stores no extra for anyone."""
    run(runner, slug, EVENTBRITE, "--map", "Attendee Status=extra", "--commit")
    with runner.app.app_context():
        assert {len(extra) for extra in db.session.scalars(select(Guest.extra))} == {0}


def test_map_by_column_number_and_to_a_taken_field(app, runner, slug):
    """A column can be named by number; choosing a guessed field moves the guess aside."""
    report = json.loads(run(runner, slug, GOOGLE_FORMS, "--map", "5=industry", "--json").output)
    fields = {c["column"]: c["field"] for c in report["columns"]}
    assert fields["Major"] == "industry" and fields["Industry"] == "extra"
    assert report["problems"] == []


@pytest.mark.parametrize(
    "mapping, message",
    [
        ("Shoe size=extra", "No column “Shoe size” in the file"),
        ("Major=favourite_colour", "Unknown field “favourite_colour”"),
    ],
)
def test_a_bad_map_is_an_error(app, runner, slug, mapping, message):
    """Unknown columns or fields stop the command with a message and a non-zero exit."""
    result = run(runner, slug, GOOGLE_FORMS, "--map", mapping, "--commit")
    assert result.exit_code != 0 and message in result.output
    assert count(app) == 0


def test_an_unreadable_file_exits_non_zero(app, runner, slug, tmp_path):
    """A PNG is no guest list: exit code 1, the reason printed (as JSON with --json)."""
    picture = tmp_path / "guests.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    result = run(runner, slug, str(picture), "--json", "--commit")
    assert result.exit_code == 1
    assert json.loads(result.output.splitlines()[0]) == {
        "error": "This is an image (PNG), not a CSV. Export the guest list as CSV."
    }
    assert count(app) == 0


def test_an_unknown_event_exits_non_zero(runner, app):
    """A slug that names no event is an error."""
    result = run(runner, "no-such-event", EVENTBRITE)
    assert result.exit_code != 0 and "No event with the slug 'no-such-event'." in result.output


def test_a_mapping_problem_refuses_to_commit(app, runner, slug):
    """--commit with no name column exits non-zero and writes nothing."""
    result = run(runner, slug, GOOGLE_FORMS, "--map", "Full name=extra", "--commit")
    assert result.exit_code == 1 and "Choose the column that holds the name" in result.output
    assert count(app) == 0


HOSTILE = (
    "Name;Email;Class year\r"  # semicolons, old-Mac CR line ends, Windows-1252
    "Zoë Çelik;zoe@example.org;2009\r"
    '=HYPERLINK("http://evil.example");formula@example.org;\'12\r'
    "<script>alert(1)</script>;script@example.org;\r"
    "Bob;not-an-email;2010\r"
    "Cy;cy@example.org;nineteen\r"
    "Zoe Again;ZOE@example.org;\r"
    "Dee;dee@example.org;2011;extra cell\r"
).encode("cp1252")


def test_json_reports_row_errors_and_created_for_a_hostile_file(app, runner, slug, tmp_path):
    """--json: valid, errors as {row, message}, duplicates; --commit adds exactly valid."""
    path = tmp_path / "guests.csv"
    path.write_bytes(HOSTILE)
    preview = json.loads(run(runner, slug, str(path), "--json").output)
    assert (preview["encoding"], preview["delimiter"]) == ("cp1252", "semicolon")
    assert preview["valid"] == 3 and "created" not in preview and count(app) == 0
    assert [e["row"] for e in preview["errors"]] == [5, 6, 8]
    assert preview["errors"][0] == {
        "row": 5,
        "message": "Email “not-an-email” is not valid: An email address must have an @-sign.",
    }
    assert preview["duplicates"] == [{"row": 7, "message": "Same email as row 2."}]
    report = json.loads(run(runner, slug, str(path), "--commit", "--json").output)
    assert report["created"] == report["valid"] == 3 and count(app) == 3
    with runner.app.app_context():
        names = set(db.session.scalars(select(Guest.name)))
    assert names == {"Zoë Çelik", '=HYPERLINK("http://evil.example")', "<script>alert(1)</script>"}


def test_readable_preview_lists_each_problem_row(app, runner, slug, tmp_path):
    """Without --json the same report is printed for a person, and nothing is written."""
    path = tmp_path / "guests.csv"
    path.write_bytes(HOSTILE)
    output = run(runner, slug, str(path)).output
    assert "7 rows (cp1252, semicolon-separated)." in output
    assert "  error: row 6: Class year “nineteen” is not a year." in output
    assert "  error: row 8: This row has 4 cells but the header has 3" in output
    assert "Would import 3; 3 with errors, 1 duplicates" in output
    assert "Nothing written" in output and count(app) == 0
