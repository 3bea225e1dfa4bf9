"""A pasted or uploaded list of alumni addresses, read and sorted before anyone is invited.

Only addresses: one per line or separated by commas, semicolons or tabs, "Name <a@b.org>" read
as its address, a header cell such as "Email" ignored. A file is decoded as guest-list imports
are (checkin/imports/files.decode: BOMs, UTF-8, then charset-normalizer). The preview says what
would happen to each: invited, not an address, a duplicate, already on the guest list, already
registered, already invited to this event, asked this association for no invitations, or bounced.
"""

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select, true

from ..extensions import db
from ..imports import files, values
from ..models import DoNotInvite, Event, Guest, Invitation, Registration, Suppression

MAX_BYTES = 1_000_000  # a list of 20,000 addresses fits
MAX_ADDRESSES = 5_000  # per invitation round
MAX_TEXT = 450_000  # characters: the confirm form carries the list back, under Flask's 500 KB
HEADERS = {"email", "e-mail", "email address", "e-mail address", "mail", "address"}
SEPARATORS = re.compile(r"[\r\n,;\t]+")
BRACKETED = re.compile(r"<([^<>]*)>")


class ListProblem(ValueError):
    """The list cannot be read at all; the message says why and what to do."""


@dataclass
class Preview:
    """What inviting a list would do, address by address."""

    valid: list[str] = field(default_factory=list)  # to invite, in the list's order
    invalid: list[str] = field(default_factory=list)  # as written, clipped
    duplicates: int = 0
    on_guest_list: list[str] = field(default_factory=list)
    registered: list[str] = field(default_factory=list)
    invited_before: list[str] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)
    bounced: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """How many addresses are left out for what the app knows about them."""
        return sum(
            len(found)
            for found in (
                self.on_guest_list,
                self.registered,
                self.invited_before,
                self.opted_out,
                self.bounced,
            )
        )


def text_of_upload(data: bytes) -> str:
    """An uploaded .txt or .csv as text, or ListProblem for one too big or not text."""
    if len(data) > MAX_BYTES:
        raise ListProblem(
            f"The file is over {MAX_BYTES // 1_000_000} MB. Send the list in parts, "
            f"up to {MAX_ADDRESSES:,} addresses each."
        )
    for magic, message in files.SIGNATURES:
        if data.startswith(magic):
            raise ListProblem(message.replace("a CSV", "a list of addresses"))
    text, _encoding = files.decode(data)
    if "\x00" in text:
        raise ListProblem("This file contains binary data, not text. Upload a .txt or .csv.")
    return text


def cells(text: str) -> list[str]:
    """The list's entries, trimmed, each a would-be address; header words left out."""
    found = []
    for cell in SEPARATORS.split(text or ""):
        cell = cell.strip().strip("\"'").strip()
        if bracketed := BRACKETED.search(cell):
            cell = bracketed.group(1).strip()
        if cell and cell.lower() not in HEADERS:
            found.append(cell)
    if len(found) > MAX_ADDRESSES:
        raise ListProblem(
            f"The list has {len(found):,} entries; send at most {MAX_ADDRESSES:,} at a time."
        )
    return found


def preview(event: Event, text: str) -> Preview:
    """Sort the list's entries for this event (see the module's docstring)."""
    result, seen = Preview(), set()
    for cell in cells(text):
        try:
            address = values.email(cell)
        except ValueError:
            result.invalid.append(values.clip(cell))
            continue
        if address in seen:
            result.duplicates += 1
            continue
        seen.add(address)
        result.valid.append(address)
    _leave_out_known(event, result)
    if sum(len(address) + 1 for address in result.valid) > MAX_TEXT:
        raise ListProblem("The list is too long to send at once: send it in two parts.")
    return result


def _leave_out_known(event: Event, result: Preview) -> None:
    """Move the addresses the app already knows about from valid to their reason."""
    wanted = set(result.valid)
    known = [  # the first reason found is the one shown: an opt-out above all
        (
            result.opted_out,
            _found(DoNotInvite.email, DoNotInvite.association_id == event.association_id, wanted),
        ),
        (result.bounced, _found(Suppression.email, true(), wanted)),
        (result.on_guest_list, _found(Guest.email, Guest.event_id == event.id, wanted)),
        (result.registered, _found(Registration.email, Registration.event_id == event.id, wanted)),
        (result.invited_before, _found(Invitation.email, Invitation.event_id == event.id, wanted)),
    ]
    taken: set[str] = set()
    for bucket, addresses in known:
        for address in result.valid:
            if address in addresses and address not in taken:
                bucket.append(address)
                taken.add(address)
    result.valid = [address for address in result.valid if address not in taken]


def _found(column, scope, wanted: set[str]) -> set[str]:
    """Which of the wanted addresses the column holds (compared lowercased and trimmed)."""
    if not wanted:
        return set()
    folded = func.lower(func.trim(column))
    found = set()
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 900):  # bound parameters per statement stay modest
        chunk = ordered[start : start + 900]
        found |= set(db.session.scalars(select(folded).where(scope, folded.in_(chunk))))
    return found
