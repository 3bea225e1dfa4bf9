"""Guest-list import: map columns, validate rows, preview, and commit all or nothing.

A file is read by imports/files into text cells; here each column gets a target field (guessed from
its header, changeable), each row becomes a guest or a reported problem, and commit() writes
the guests and their tickets in one transaction after checking everything again. The columns
left as "extra" (and the registration status) are kept with each guest only when the organizer
ticks "Keep the other columns" (keep_extra): by default no more is stored than the app uses.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, text

from ..database import writing
from ..events import tickets
from ..extensions import db
from ..models import Event, Guest, fold
from ..privacy import consents
from .files import Table
from .values import FIELDS, clip, read_row

REPEATABLE = {"extra", "ignore"}
KEPT_AS_EXTRA = ("extra", "status")  # columns whose cells go into Guest.extra, when kept
PREVIEW_ROWS = 20
GUESSES = [  # first match wins, in this order; each header normalized to lower case first
    ("email", r"e-?mail"),
    ("consent_profile", r"consent|see (your|my) profile|share (your|my)|visible|directory"),
    ("linkedin_url", r"linked ?in"),
    ("wants_help_with", r"(like|want|need|looking for) (some )?(help|advice)|advice (on|about)"),
    ("can_help_with", r"can help|help (others )?with|could offer|expertise|happy to (help|advise)"),
    ("willing_to_mentor", r"mentor"),
    ("status", r"\bstatus\b"),
    ("external_ref", r"^(attendee|registration|ticket) ?(#|id|no\.?|number)$"),
    ("first_name", r"^(first|given|first name|given name|forename)$"),
    ("last_name", r"^(last|surname|last name|family name)$"),
    ("class_year", r"class year|graduat|^class$|class of|^year$|grad year|cohort"),
    ("major", r"major|degree|concentration|field of study"),
    ("residence_hall", r"residence|\bhall\b|dorm|\bhouse\b"),
    ("clubs", r"club|team|societ|greek|activit|groups"),
    ("industry", r"industry|sector"),
    ("employer", r"employer|company|organi[sz]ation|where do you work|work for"),
    ("role", r"job title|^title$|^role$|position|current role"),
    ("city", r"\bcity\b|location|where do you live|based in"),
    ("interests", r"interest|topic|talk about|hoping|looking for|hobbies"),
    ("name", r"^((full|your|attendee|guest) )?name\b|^(attendee|guest)$|full name"),
]


@dataclass
class Issue:
    """A row that will not be imported, and why."""

    row: int
    message: str


@dataclass
class Preview:
    """What an import would do: the mapping, the guests it would add, and every row it would not."""

    table: Table
    mapping: list[str]
    problems: list[str] = field(default_factory=list)  # mapping problems: nothing can import
    guests: list[dict] = field(default_factory=list)  # {"row": n, "values": Guest fields}
    errors: list[Issue] = field(default_factory=list)
    duplicates: list[Issue] = field(default_factory=list)
    skipped: list[Issue] = field(default_factory=list)  # refunded, transferred, cancelled
    keep_extra: bool = False  # the organizer chose to keep the other columns with each guest

    @property
    def valid(self) -> int:
        """How many guests a commit would add."""
        return 0 if self.problems else len(self.guests)

    @property
    def fingerprint(self) -> str:
        """A digest of exactly what a commit would write: the mapping and every guest's values."""
        if self.problems:
            return ""
        written = [self.mapping, [(g["row"], g["values"]) for g in self.guests]]
        encoded = json.dumps(written, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(encoded.encode()).hexdigest()[:32]

    @property
    def examples(self) -> list[str]:
        """A sample value per column (the first filled one near the top), to help map it."""
        found = [""] * len(self.table.headers)
        for _, cells in self.table.rows[:50]:
            for i, cell in enumerate(cells[: len(found)]):
                if not found[i] and cell.strip():
                    found[i] = clip(" ".join(cell.split()), 40)
        return found

    @property
    def other_columns(self) -> list[str]:
        """The columns kept with each guest only if the organizer chooses: extra and status."""
        return [
            h for h, f in zip(self.table.headers, self.mapping, strict=True) if f in KEPT_AS_EXTRA
        ]

    @property
    def shown_fields(self) -> list[str]:
        """The guest fields the mapping fills, in form order, for the preview table."""
        used = set(self.mapping)
        if used & {"first_name", "last_name"}:
            used.add("name")
        skip = {"first_name", "last_name", "status", "extra", "ignore"}
        return [f for f in FIELDS if f in used and f not in skip]


class ImportRefused(Exception):
    """The import cannot go ahead as mapped; the message says what to change."""


class PreviewChanged(ImportRefused):
    """What the import would write now differs from the preview the organizer confirmed."""

    def __init__(self) -> None:
        super().__init__(
            "Nothing was imported: the columns or the guest list changed since this preview. "
            "Check the preview again, then confirm."
        )


def guess_field(header: str) -> str:
    """The guest field a column header most likely holds, or "extra"."""
    text = " ".join(re.sub(r"[?:*]", " ", header.casefold()).split())
    for target, pattern in GUESSES:
        if re.search(pattern, text):
            return target
    return "extra"


def choose_mapping(headers: list[str], overrides: dict[int, str] | None = None) -> list[str]:
    """A field per column: the organizer's choice where given, else a guess; each field once."""
    overrides = {i: f for i, f in (overrides or {}).items() if f in FIELDS and i < len(headers)}
    taken = {f for f in overrides.values() if f not in REPEATABLE}
    mapping = []
    for index, header in enumerate(headers):
        target = overrides.get(index)
        if target is None:
            target = guess_field(header)
            if target not in REPEATABLE and target in taken:
                target = "extra"
            taken.add(target)
        mapping.append(target)
    return mapping


def mapping_problems(headers: list[str], mapping: list[str]) -> list[str]:
    """What stops this mapping from importing anyone."""
    problems = []
    if not {"name", "first_name", "last_name"} & set(mapping):
        problems.append("Choose the column that holds the name (or first and last name).")
    for target in FIELDS:
        columns = [h for h, f in zip(headers, mapping, strict=True) if f == target]
        if target not in REPEATABLE and len(columns) > 1:
            listed = ", ".join(f"“{c}”" for c in columns)
            problems.append(f"Only one column can be {FIELDS[target]}; now {listed} are.")
    return problems


def preview(event: Event, table: Table, mapping: list[str], keep_extra: bool = False) -> Preview:
    """Sort every row into guests to add, errors, duplicates and skipped registrations."""
    result = Preview(
        table, mapping, mapping_problems(table.headers, mapping), keep_extra=keep_extra
    )
    seen = _keys_on_list(event.id)
    reference_year = event.starts_at.year
    for number, cells in table.rows:
        values, error, skip = read_row(table.headers, mapping, cells, reference_year)
        if not keep_extra:
            values["extra"] = {}
        if skip:
            result.skipped.append(Issue(number, skip))
        elif error:
            result.errors.append(Issue(number, error))
        elif duplicate := _duplicate(values, number, seen):
            result.duplicates.append(Issue(number, duplicate))
        else:
            result.guests.append({"row": number, "values": values})
    return result


def commit(
    event: Event,
    table: Table,
    mapping: list[str],
    expected: str | None = None,
    keep_extra: bool = False,
) -> Preview:
    """Add the guests with tickets in one transaction; with expected, only if still as previewed."""
    with writing():
        return add(event, table, mapping, expected, keep_extra)


def add(
    event: Event,
    table: Table,
    mapping: list[str],
    expected: str | None = None,
    keep_extra: bool = False,
) -> Preview:
    """commit's work inside the caller's write transaction (database.writing)."""
    # PostgreSQL: one import per event at a time, so two never both add the same people.
    db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())
    result = preview(event, table, mapping, keep_extra)
    if result.problems:
        raise ImportRefused(" ".join(result.problems))
    if not result.guests:
        raise ImportRefused("There is no one new to import from this file.")
    if expected is not None and result.fingerprint != expected:
        raise PreviewChanged()
    ids = _new_ids(len(result.guests))
    db.session.execute(
        insert(Guest.__table__),
        [
            {
                **guest["values"],
                "id": id_,
                "event_id": event.id,
                "source": "import",
                # A yes to the registration's consent question prefills "findable".
                "consent_findable": guest["values"]["consent_profile"] is True,
                "search_key": search_key(guest["values"]["name"], guest["values"]["email"]),
            }
            for id_, guest in zip(ids, result.guests, strict=True)
        ],
    )
    consents.insert_rows(_first_consents(event, ids, result.guests))
    tickets.issue_first(event.id, ids)
    return result


def _first_consents(event: Event, ids: list[int], guests: list[dict]) -> list[dict]:
    """The consent rows the registration's answers gave the new guests."""
    rows = []
    for id_, guest in zip(ids, guests, strict=True):
        answer = guest["values"]["consent_profile"]
        values = {"consent_findable": answer is True, "consent_profile": answer}
        rows += consents.first_rows(event.id, id_, values, "import")
    return rows


def search_key(name: str, email: str) -> str:
    """The folded name and email the door searches (as models keeps it for ORM inserts)."""
    return fold(f"{name} {email}")[:500]


def _new_ids(count: int) -> list[int]:
    """Ids for the new guests, taken up front so the rows go in as one executemany."""
    if db.session.get_bind().dialect.name == "postgresql":
        return list(
            db.session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('attendees', 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"count": count},
            )
        )
    # SQLite: writing() holds the write lock, so nobody else can take these ids meanwhile.
    start = db.session.scalar(select(func.max(Guest.id))) or 0
    return list(range(start + 1, start + count + 1))


def _keys(values: dict) -> list[str]:
    """What makes two guests the same person: email, registration ID, else the name alone."""
    keys = []
    if email := values.get("email"):
        keys.append("email:" + email.casefold())
    if ref := values.get("external_ref"):
        keys.append("ref:" + ref)
    if not values.get("email"):
        keys.append("name:" + fold(values.get("name", "")))
    return keys


def _keys_on_list(event_id: int) -> dict[str, int]:
    """The identity keys of everyone already on the event's list (row 0 = on the list)."""
    rows = db.session.execute(
        select(Guest.email, Guest.external_ref, Guest.name).where(Guest.event_id == event_id)
    )
    return {
        key: 0
        for email, ref, name in rows
        for key in _keys({"email": email, "external_ref": ref, "name": name})
    }


def _duplicate(values: dict, number: int, seen: dict[str, int]) -> str | None:
    """Why this row repeats someone (on the list already, or earlier in the file), else None."""
    keys = _keys(values)
    for key in keys:
        if key in seen:
            what = {"email": "email", "ref": "registration ID", "name": "name"}[key.split(":")[0]]
            if seen[key] == 0:
                return f"Already on the guest list (same {what})."
            return f"Same {what} as row {seen[key]}."
    for key in keys:
        seen[key] = number
    return None
