"""Reading an uploaded guest-list file: bytes in, a table of text cells out, or a clear problem.

Encodings: a BOM decides (UTF-8, UTF-16, UTF-32); else strict UTF-8; else charset-normalizer,
preferring Windows-1252 (what Excel writes in Western locales) when it fits as well as the
detector's pick. Delimiters: the one that splits the first rows most consistently (not
csv.Sniffer, whose regular expressions take tens of seconds on some 64 KB samples).
"""

import codecs
import csv
import io
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field

from charset_normalizer import from_bytes

MAX_ROWS = 50_000
MAX_COLUMNS = 200
MAX_HEADER = 300  # a long Google Forms question fits
MAX_CELL = 100_000  # csv's own limit is 131,072 characters; anything near it is not a guest
DELIMITERS = [",", ";", "\t", "|"]
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
SIGNATURES = [
    (
        b"PK\x03\x04",
        "This looks like an Excel file (.xlsx), not a CSV. In Excel or Google "
        "Sheets choose File › Save as / Download › CSV, then upload that.",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "This looks like an old Excel file (.xls), not a CSV. Open it in Excel "
        "or Google Sheets and save it as CSV, then upload that.",
    ),
    (b"%PDF", "This is a PDF, not a CSV. Export the guest list as CSV and upload that."),
    (b"\x89PNG", "This is an image (PNG), not a CSV. Export the guest list as CSV."),
    (b"\xff\xd8\xff", "This is an image (JPEG), not a CSV. Export the guest list as CSV."),
    (b"GIF8", "This is an image (GIF), not a CSV. Export the guest list as CSV."),
    (b"\x1f\x8b", "This is a compressed file (gzip). Unpack it and upload the CSV inside."),
]
UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
ASCII = bytes(range(128))
MIXED = "utf-8 (some bytes unreadable)"
UNREADABLE = "\ufffd"
EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# C0/C1 controls, bidi overrides and isolates (they can make a name show as another), stray BOMs.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")


class FileProblem(Exception):
    """The file cannot be read as a guest list at all; the message says why and what to do."""


@dataclass
class Table:
    """A CSV file read into text: header cells and data rows, with how it was read."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells); the header is row 1
    encoding: str
    delimiter: str
    warnings: list[str] = field(default_factory=list)

    @property
    def delimiter_name(self) -> str:
        """The delimiter as a person names it."""
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


def read_table(data: bytes, max_rows: int = MAX_ROWS) -> Table:
    """Decode, split and tidy an uploaded CSV; raise FileProblem when it is no guest list."""
    if not data or not data.strip():
        raise FileProblem("The file is empty.")
    for magic, message in SIGNATURES:
        if data.startswith(magic):
            raise FileProblem(message)
    text, encoding = decode(data)
    if not text.strip():
        raise FileProblem("The file is empty.")
    warnings = []
    if not encoding.startswith("utf"):
        warnings.append(
            f"This file is not UTF-8, so its encoding was guessed: {encoding}. If names in the "
            "preview look garbled, save the file as “CSV UTF-8” (Excel) or download it as CSV "
            "(Google Sheets) and upload that instead."
        )
    if encoding == MIXED:
        warnings.append(
            "Parts of this file are not UTF-8 (it mixes text encodings); rows with "
            "characters that could not be read are listed as errors."
        )
    if (controls := len(CONTROL.findall(text))) > max(8, len(text) // 100):
        raise FileProblem("This file contains binary data, not text. Upload a CSV export.")
    if controls:
        warnings.append(f"Removed {controls} invisible control character(s), such as NUL bytes.")
        text = CONTROL.sub("", text)
    delimiter = sniff_delimiter(text)
    records = _records(text, delimiter, max_rows)
    if not records:
        raise FileProblem("The file has no rows.")
    _check_quotes_close(text, delimiter)
    (_, header), rows = records[0], records[1:]
    if len(header) > MAX_COLUMNS:
        raise FileProblem(
            f"The first row has {len(header):,} columns; a guest list has a few "
            "dozen at most. Check that this is the right file."
        )
    headers = unique_headers(header, warnings)
    if any(EMAIL_LIKE.match(cell) for cell in headers):
        warnings.append(
            "The first row looks like a guest, not column names (it holds an email address). "
            "It is read as the header, so that guest is not imported: add a header row "
            "(for example name,email) and upload the file again."
        )
    return Table(headers, rows, encoding, delimiter, warnings)


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the name of the encoding it was in."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.replace("-sig", "") + " (with BOM)"
            except UnicodeDecodeError as error:
                raise FileProblem(f"The file says it is {encoding.upper()} but is not.") from error
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return data.decode("utf-8", errors="replace"), MIXED
    matches = from_bytes(data[:200_000])
    best = matches.best()
    if best is None:
        raise FileProblem("This file is not text we can read. Upload a CSV export.")
    # Short lists rarely tell code pages apart; when Windows-1252 (what Excel writes in Western
    # locales) fits as cleanly as the detector's pick, it is the likelier one.
    tied = {name for m in matches if m.chaos <= best.chaos for name in m.could_be_from_charset}
    encoding = "cp1252" if "cp1252" in tied else best.encoding
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        return data.decode(best.encoding, errors="replace"), best.encoding


def _mostly_utf8(data: bytes) -> bool:
    """True when many non-ASCII bytes form valid UTF-8: a UTF-8 file with some foreign bytes."""
    foreign = len(data.translate(None, ASCII))
    in_utf8 = sum(len(m) for m in UTF8_SEQUENCE.findall(data))
    return in_utf8 >= foreign / 2


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon, tab or bar: whichever splits the first rows most consistently."""
    sample = text[:65_536]
    end = max(sample.rfind("\n"), sample.rfind("\r"))  # CR alone ends lines in old Mac files
    if len(text) > len(sample) and end > 0:
        sample = sample[:end]
    scores = {d: _fit(sample, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: scores[d])  # ties go to the earlier, commoner one
    return best if scores[best] > (0, 0) else ","


def _fit(sample: str, delimiter: str) -> tuple[int, int]:
    """How well a delimiter splits the sample: rows agreeing with the header's width, then width."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        lines = [line for line in itertools.islice(reader, 50) if line]
    except csv.Error:
        return (0, 0)
    if not lines or len(lines[0]) < 2:
        return (0, 0)
    width = len(lines[0])
    return (sum(len(line) == width for line in lines), width)


def _records(text: str, delimiter: str, max_rows: int) -> list[tuple[int, list[str]]]:
    """Non-blank records numbered as a spreadsheet shows them (header = 1), stopping at the cap."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, number = [], 0
    try:
        for number, cells in enumerate(reader, start=1):
            if any(cell.strip() for cell in cells):
                if len(records) > max_rows:
                    raise FileProblem(
                        f"The file has more than {max_rows:,} guests. Split it "
                        "into smaller files and import them one after another."
                    )
                if max(len(cell) for cell in cells) > MAX_CELL:
                    raise FileProblem(_huge_cell(number, cells))
                records.append((number, cells))
    except csv.Error as error:
        raise FileProblem(
            f'The file could not be read as CSV from row {number + 1}: {error}. A quote (") '
            "in that row may never be closed."
        ) from error
    return records


def _huge_cell(number: int, cells: list[str]) -> str:
    """Why a row with a cell over MAX_CELL characters stops the file."""
    if any(cell.count("\n") > 100 for cell in cells):
        return (
            f'Row {number} has a cell that runs over many lines: a quote (") in it is '
            "probably never closed. Fix that cell, export the file again and upload it."
        )
    return f"Row {number} has a cell over {MAX_CELL:,} characters; this is not a guest list."


def _check_quotes_close(text: str, delimiter: str) -> None:
    """Refuse a file whose last quote never closes: every row after it would be one cell."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    read = 0
    try:
        for _ in reader:
            read += 1
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            raise FileProblem(
                f'A quote (") in row {read + 1} is never closed, so every row after it '
                "would be read as a single cell. Fix that cell in the spreadsheet, export "
                "the file again and upload it."
            ) from error
        # Other strictness complaints (a stray quote mid-cell) read fine in the lenient pass.


def unique_headers(cells: list[str], warnings: list[str]) -> list[str]:
    """Header names, stripped, blanks named by position, repeats told apart as "Email (2)"."""
    seen: Counter = Counter()
    headers = []
    for position, cell in enumerate(cells, start=1):
        name = " ".join(cell.split()) or f"Column {position}"
        if len(name) > MAX_HEADER:
            name = name[: MAX_HEADER - 1] + "…"
        seen[name.casefold()] += 1
        if seen[name.casefold()] > 1:
            renamed = f"{name} ({seen[name.casefold()]})"
            warnings.append(
                f"Two columns are called “{name}”; the later one is shown as “{renamed}”."
            )
            name = renamed
        headers.append(name)
    return headers
