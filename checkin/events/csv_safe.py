"""CSV that spreadsheets open safely: UTF-8 with a BOM, CRLF rows, no formula injection.

A cell that starts with = + - @, a tab or a carriage return could run as a formula in Excel,
LibreOffice or Google Sheets, so it gets a leading single quote (OWASP's advice); NUL and other
control characters are dropped. Everything else (markup, right-to-left marks, emoji) is data and
stays as it was: the csv module quotes it so it cannot break a row.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator

BOM = "\ufeff"  # tells Excel the file is UTF-8
CHUNK = 16_384  # characters sent at a time
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# C0 controls but tab, line feed and carriage return (which cells may hold), DEL and C1.
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def cell(value) -> str:
    """One value as a safe cell: None is empty, controls are dropped, formulas are defused."""
    if value is None:
        return ""
    text = CONTROLS.sub("", str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def rows(header: Iterable, body: Iterable[Iterable]) -> Iterator[str]:
    """The CSV text, BOM first, a few rows at a time: a large export streams in flat memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # quotes as needed, ends rows with \r\n
    buffer.write(BOM)
    writer.writerow([cell(value) for value in header])
    for values in body:
        writer.writerow([cell(value) for value in values])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
