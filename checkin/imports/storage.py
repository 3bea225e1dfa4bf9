"""An import in progress: the uploaded file kept in the database, by token, from preview to confirm.

The browser only ever holds the token and the chosen mapping; the database holds the token's
SHA-256, so any web node can serve the next step. A token belongs to one event and one organizer
(the teammate who uploaded it: an upload in progress is theirs, not their association's, and
the cap on waiting uploads is per person) and lives a day. The confirm locks the row and
imports in the same transaction, so a double confirm imports once.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import undefer

from ..database import writing
from ..extensions import db
from ..models import Event, GuestImport, Organizer, utcnow
from . import guest_list
from .files import Table, read_table

LIFETIME = timedelta(hours=24)
KEPT_PER_ORGANIZER = 10  # uploads waiting for a confirm; an eleventh drops the oldest
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


class ImportExpired(Exception):
    """The token was the organizer's, but its day is over: the upload is gone."""


@dataclass
class Pending:
    """An uploaded file waiting for the organizer's confirmation."""

    token: str
    filename: str
    table: Table | None  # None once the import is done
    created: int | None = None  # how many were imported, once done


@dataclass
class Outcome:
    """What a confirm did: created N, or found the import already done (created is then its N)."""

    created: int
    already_done: bool = False


def start(event: Event, organizer: Organizer, data: bytes, filename: str) -> str:
    """Check the file reads as a guest list, keep it, and return its token (FileProblem if not)."""
    read_table(data)
    token = secrets.token_urlsafe(24)
    row = GuestImport(
        token_hash=_hash(token),
        event_id=event.id,
        organizer_id=organizer.id,
        filename=filename[:200],
        data=data,
    )
    with writing():
        _delete_older_than(utcnow() - LIFETIME)
        db.session.add(row)
        db.session.flush()
        _keep_newest(row.organizer_id)
    return token


def find(event: Event, organizer: Organizer, token: str) -> Pending | None:
    """The organizer's pending import for this event, or None (unknown or not theirs).

    An import past its day is deleted and raises ImportExpired.
    """
    row = _row(event, organizer, token)
    if row is None:
        return None
    if row.created_at < utcnow() - LIFETIME:
        with writing():
            db.session.execute(delete(GuestImport).where(GuestImport.id == row.id))
        raise ImportExpired()
    if row.data is None:
        return Pending(token, row.filename, None, row.imported)
    return Pending(token, row.filename, read_table(row.data))


def choices_from(form, headers: list[str]) -> dict[int, str]:
    """The organizer's field per column from a submitted form ("column-0" = "email", …)."""
    return {i: form[f"column-{i}"] for i in range(len(headers)) if f"column-{i}" in form}


def keeps_extra(form) -> bool:
    """True when the organizer ticked "Keep the other columns" (unticked unless they do)."""
    return form.get("keep_extra") == "1"


def preview(
    event: Event, pending: Pending, choices: dict[int, str], keep_extra: bool = False
) -> guest_list.Preview:
    """The preview of a pending import under the organizer's mapping."""
    mapping = guest_list.choose_mapping(pending.table.headers, choices)
    return guest_list.preview(event, pending.table, mapping, keep_extra)


def confirm(
    event: Event,
    organizer: Organizer,
    token: str,
    choices: dict[int, str],
    expected: str,
    keep_extra: bool = False,
) -> Outcome | None:
    """Import a pending file once, exactly as previewed; None if the token is not theirs here."""
    with writing():
        # Locked until this transaction ends: a second confirm waits, then finds it done.
        row = _row(event, organizer, token, for_update=True)
        if row is None or row.created_at < utcnow() - LIFETIME:
            return None
        if row.data is None:
            return Outcome(row.imported or 0, already_done=True)
        table = read_table(row.data)
        mapping = guest_list.choose_mapping(table.headers, choices)
        result = guest_list.add(event, table, mapping, expected, keep_extra)
        row.data, row.imported = None, result.valid
    return Outcome(result.valid)


def import_file(
    event: Event, data: bytes, maps: list[str], commit: bool = False, keep_extra: bool = False
) -> dict:
    """The command line's import: preview a file, and with commit add the guests; a report dict."""
    table = read_table(data)
    mapping = guest_list.choose_mapping(table.headers, overrides_from_maps(table.headers, maps))
    result = guest_list.preview(event, table, mapping, keep_extra)
    report = summary(result)
    if commit:
        if result.problems:
            raise guest_list.ImportRefused(" ".join(result.problems))
        # Exactly what was just previewed and will be printed, or nothing.
        created = (
            guest_list.commit(event, table, mapping, result.fingerprint, keep_extra)
            if result.valid
            else None
        )
        report["created"] = created.valid if created else 0
    return report


def overrides_from_maps(headers: list[str], maps: list[str]) -> dict[int, str]:
    """Column choices from "COLUMN=field" strings (a header name or a 1-based column number)."""
    overrides = {}
    by_name = {header.casefold(): i for i, header in enumerate(headers)}
    for item in maps:
        column, _, target = item.rpartition("=")
        column, target = column.strip(), target.strip().lower()
        index = by_name.get(column.casefold())
        if index is None and column.isdigit() and 1 <= int(column) <= len(headers):
            index = int(column) - 1
        if index is None:
            raise ValueError(f"No column “{column}” in the file; columns: {', '.join(headers)}.")
        if target not in guest_list.FIELDS:
            raise ValueError(
                f"Unknown field “{target}”; use one of: {', '.join(guest_list.FIELDS)}."
            )
        overrides[index] = target
    return overrides


def summary(result: guest_list.Preview, rows: int = guest_list.PREVIEW_ROWS) -> dict:
    """A preview as plain data: counts, mapping, the first guests and every problem row."""
    table = result.table

    def issues(found):
        return [{"row": issue.row, "message": issue.message} for issue in found]

    return {
        "encoding": table.encoding,
        "delimiter": table.delimiter_name,
        "rows": len(table.rows),
        "columns": [
            {"column": h, "field": f} for h, f in zip(table.headers, result.mapping, strict=True)
        ],
        "problems": result.problems,
        "warnings": table.warnings,
        "valid": result.valid,
        "errors": issues(result.errors),
        "duplicates": issues(result.duplicates),
        "skipped": issues(result.skipped),
        "preview": [{"row": g["row"], **g["values"]} for g in result.guests[:rows]],
    }


def purge(now: datetime | None = None) -> int:
    """Delete imports (pending or done) older than a day; how many went."""
    with writing():
        return _delete_older_than((now or utcnow()) - LIFETIME)


def _delete_older_than(cutoff: datetime) -> int:
    gone = db.session.execute(delete(GuestImport).where(GuestImport.created_at < cutoff))
    return gone.rowcount


def _keep_newest(organizer_id: int) -> None:
    """Drop the organizer's oldest waiting uploads beyond KEPT_PER_ORGANIZER."""
    surplus = (
        select(GuestImport.id)
        .where(GuestImport.organizer_id == organizer_id, GuestImport.data.is_not(None))
        .order_by(GuestImport.id.desc())
        .offset(KEPT_PER_ORGANIZER)
    )
    db.session.execute(delete(GuestImport).where(GuestImport.id.in_(surplus)))


def _row(event: Event, organizer: Organizer, token: str, for_update=False) -> GuestImport | None:
    """The import this token names, if it is this organizer's for this event."""
    if not TOKEN.match(token or ""):
        return None
    query = select(GuestImport).where(
        GuestImport.token_hash == _hash(token),
        GuestImport.event_id == event.id,
        GuestImport.organizer_id == organizer.id,
    )
    if for_update:
        query = query.with_for_update()
    options = {"populate_existing": True}  # what is stored now, not what this session saw
    return db.session.scalar(query.options(undefer(GuestImport.data)).execution_options(**options))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
