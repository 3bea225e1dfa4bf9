"""An import in progress: the uploaded file kept server-side, by token, from preview to confirm.

The browser only ever holds the token and the chosen mapping. A token belongs to one event and
one organizer, lives a day, and is claimed by an atomic rename so a double confirm imports once.
"""

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from . import guests
from .guest_files import Table, read_table
from .models import Event, Organizer

LIFETIME_SECONDS = 24 * 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass
class Pending:
    """An uploaded file waiting for the organizer's confirmation."""

    token: str
    filename: str
    table: Table | None  # None once the import is done (or under way)
    created: int | None = None  # how many were imported, once done


@dataclass
class Outcome:
    """What a confirm did: created N, or found the import already done (created is then its N)."""

    created: int
    already_done: bool = False


def start(event: Event, organizer: Organizer, data: bytes, filename: str) -> str:
    """Check the file reads as a guest list, keep it, and return its token (FileProblem if not)."""
    read_table(data)
    purge()
    token = secrets.token_urlsafe(24)
    _data_path(token).write_bytes(data)
    _write_meta(
        token,
        {
            "event_id": event.id,
            "organizer_id": organizer.id,
            "filename": filename[:200],
            "created_at": time.time(),
        },
    )
    return token


def find(event: Event, organizer: Organizer, token: str) -> Pending | None:
    """The organizer's pending import for this event, or None (unknown, expired or not theirs)."""
    meta = _meta(event, organizer, token)
    if meta is None:
        return None
    if meta.get("done"):
        return Pending(token, meta["filename"], None, meta["created"])
    try:
        data = _data_path(token).read_bytes()
    except FileNotFoundError:  # claimed by a confirm that is importing it right now
        return Pending(token, meta["filename"], None, 0)
    return Pending(token, meta["filename"], read_table(data))


def choices_from(form, headers: list[str]) -> dict[int, str]:
    """The organizer's field per column from a submitted form ("column-0" = "email", …)."""
    return {i: form[f"column-{i}"] for i in range(len(headers)) if f"column-{i}" in form}


def preview(event: Event, pending: Pending, choices: dict[int, str]) -> guests.Preview:
    """The preview of a pending import under the organizer's mapping."""
    mapping = guests.choose_mapping(pending.table.headers, choices)
    return guests.preview(event, pending.table, mapping)


def confirm(
    event: Event, organizer: Organizer, token: str, choices: dict[int, str], expected: str
) -> Outcome | None:
    """Import a pending file once, exactly as previewed; None if the token is not theirs here."""
    pending = find(event, organizer, token)
    if pending is None or pending.table is None:
        return Outcome(pending.created, already_done=True) if pending else None
    claimed = _data_path(token).with_suffix(f".{secrets.token_hex(4)}.claimed")
    try:
        os.rename(_data_path(token), claimed)  # atomic: a second confirm finds nothing to claim
    except FileNotFoundError:  # another request claimed it a moment ago
        return Outcome(0, already_done=True)
    try:
        mapping = guests.choose_mapping(pending.table.headers, choices)
        result = guests.commit(event, pending.table, mapping, expected)
    except BaseException:
        os.rename(claimed, _data_path(token))
        raise
    meta = json.loads(_meta_path(token).read_text())
    _write_meta(token, {**meta, "done": True, "created": result.valid})
    claimed.unlink()
    return Outcome(result.valid)


def import_file(event: Event, data: bytes, maps: list[str], commit: bool = False) -> dict:
    """The command line's import: preview a file, and with commit add the guests; a report dict."""
    table = read_table(data)
    mapping = guests.choose_mapping(table.headers, overrides_from_maps(table.headers, maps))
    result = guests.preview(event, table, mapping)
    report = summary(result)
    if commit:
        if result.problems:
            raise guests.ImportRefused(" ".join(result.problems))
        # Exactly what was just previewed and will be printed, or nothing.
        created = guests.commit(event, table, mapping, result.fingerprint) if result.valid else None
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
        if target not in guests.FIELDS:
            raise ValueError(f"Unknown field “{target}”; use one of: {', '.join(guests.FIELDS)}.")
        overrides[index] = target
    return overrides


def summary(result: guests.Preview, rows: int = guests.PREVIEW_ROWS) -> dict:
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


def purge(now: float | None = None) -> int:
    """Delete pending imports (and done markers) older than a day; how many went."""
    now = now or time.time()
    gone = 0
    for meta_path in _folder().glob("*.json"):
        try:
            created = json.loads(meta_path.read_text()).get("created_at", 0)
        except (OSError, ValueError):
            created = 0
        if now - created > LIFETIME_SECONDS:
            token = meta_path.stem
            for path in _folder().glob(f"{token}.*"):
                path.unlink(missing_ok=True)
            gone += 1
    return gone


def _meta(event: Event, organizer: Organizer, token: str) -> dict | None:
    if not TOKEN.match(token or ""):
        return None
    try:
        meta = json.loads(_meta_path(token).read_text())
    except (OSError, ValueError):
        return None
    mine = meta.get("event_id") == event.id and meta.get("organizer_id") == organizer.id
    fresh = time.time() - meta.get("created_at", 0) <= LIFETIME_SECONDS
    return meta if mine and fresh else None


def _write_meta(token: str, meta: dict) -> None:
    partial = _folder() / f"{token}.json.partial"
    partial.write_text(json.dumps(meta))
    os.replace(partial, _meta_path(token))  # readers see the old or the new file, never half


def _folder() -> Path:
    folder = Path(current_app.config["INSTANCE_DIR"]) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _data_path(token: str) -> Path:
    return _folder() / f"{token}.csv"


def _meta_path(token: str) -> Path:
    return _folder() / f"{token}.json"
