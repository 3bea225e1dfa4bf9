"""Reading one guest-list row into guest fields: names, emails, class years, Yes/No, lists.

Cells are text and stay text: nothing is evaluated (a cell such as =HYPERLINK(...) is a name
like any other), and every value is checked against the column it will be stored in.
"""

import re

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from ..models import fold
from .files import UNREADABLE

FIELDS = {
    "name": "Name",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "class_year": "Class year",
    "major": "Major",
    "residence_hall": "Residence hall",
    "clubs": "Clubs",
    "industry": "Industry",
    "interests": "Interests",
    "employer": "Employer",
    "role": "Job title",
    "city": "City",
    "can_help_with": "Can help with",
    "wants_help_with": "Would like help with",
    "linkedin_url": "LinkedIn URL",
    "willing_to_mentor": "Willing to mentor",
    "consent_profile": "Consent: profile visible",
    "external_ref": "Registration ID",
    "status": "Registration status",
    "extra": "Keep as extra",
    "ignore": "Don't import",
}
TEXT_LIMITS = {
    "name": 200,
    "email": 254,
    "major": 200,
    "residence_hall": 200,
    "industry": 200,
    "employer": 200,
    "role": 200,
    "city": 200,
    "linkedin_url": 300,
    "can_help_with": 2000,
    "wants_help_with": 2000,
    "external_ref": 100,
    "clubs": 2000,
    "interests": 2000,
    "extra": 2000,
}
BLANK = {  # every row sets every column, so the rows insert as one batch (same keys)
    "email": "",
    "class_year": None,
    "major": "",
    "residence_hall": "",
    "clubs": "",
    "industry": "",
    "interests": "",
    "employer": "",
    "role": "",
    "city": "",
    "can_help_with": "",
    "wants_help_with": "",
    "linkedin_url": "",
    "willing_to_mentor": None,
    "consent_profile": None,
    "external_ref": "",
}
ONE_LINE = {"name", "first_name", "last_name", "email", "class_year", "external_ref"}
SKIP_STATUSES = {"refunded", "transferred", "cancelled", "canceled", "not attending", "deleted"}
YES = {"yes", "y", "true", "1", "x", "oui", "si", "ja", "sure", "definitely", "absolutely"}
NO = {"no", "n", "false", "0", "non", "nein", "nope"}
PLAIN_EMAIL = re.compile(
    r"^[A-Za-z0-9_%+'-]+(?:\.[A-Za-z0-9_%+'-]+)*"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$"
)
YEAR = re.compile(r"^(?:class of|c/o)?\s*['’‘`]?\s*(\d{4}|\d{2})(?:\.0+)?$")


def read_row(headers, mapping, cells, reference_year) -> tuple[dict, str | None, str | None]:
    """One row's guest fields, or the error that stops it, or why it is skipped."""
    if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers) :]):
        return (
            {},
            (
                f"This row has {len(cells)} cells but the header has {len(headers)}; "
                "a comma inside a cell may be missing its quotes."
            ),
            None,
        )
    if any(UNREADABLE in cell for cell in cells):
        return (
            {},
            (
                "Some characters in this row could not be read (the file mixes text encodings). "
                "Fix them in the spreadsheet and export it again as UTF-8."
            ),
            None,
        )
    values: dict = {**BLANK, "extra": {}}
    errors = []
    for index, (header, target) in enumerate(zip(headers, mapping, strict=True)):
        cell = cells[index].strip() if index < len(cells) else ""
        if target == "ignore" or not cell:
            continue
        if target == "status" and fold(cell) in SKIP_STATUSES:
            return {}, None, f"Registration status is “{clip(cell)}”."
        try:
            _apply(values, header, target, cell, reference_year)
        except ValueError as error:
            errors.append(str(error))
    values["name"] = _name(values)
    if not values["name"]:
        errors.insert(0, "No name.")
    elif len(values["name"]) > TEXT_LIMITS["name"]:
        errors.insert(0, f"Name is longer than {TEXT_LIMITS['name']} characters.")
    return values, " ".join(errors) or None, None


def _apply(values: dict, header: str, target: str, cell: str, reference_year: int) -> None:
    """Put one cell's value where its target field says; raise ValueError with the reason."""
    if target in ONE_LINE and ("\n" in cell or "\r" in cell):
        values[target] = cell  # the row is refused anyway; this keeps "No name." out of it
        raise ValueError(
            f"{FIELDS[target]} “{clip(cell.splitlines()[0])}…” runs over several lines: a quote "
            "in this row may not be closed, so the rows below it were read into this cell."
        )
    if target in ("name", "first_name", "last_name"):
        values[target] = " ".join(cell.split())  # checked once joined, in read_row
    elif target in ("extra", "status"):
        values["extra"][header] = _limit("extra", cell, header)
    elif target == "email":
        values["email"] = email(cell)
    elif target == "class_year":
        values["class_year"] = class_year(cell, reference_year)
    elif target in ("willing_to_mentor", "consent_profile"):
        values[target] = yes_no(cell)
        if values[target] is None:  # an answer we cannot read is kept, not lost
            values["extra"][header] = _limit("extra", cell, header)
    elif target in ("clubs", "interests", "can_help_with", "wants_help_with"):
        values[target] = _limit(target, as_list(cell))
    else:
        values[target] = _limit(target, " ".join(cell.split()))


def _name(values: dict) -> str:
    """The name column, else first and last name joined."""
    first, last = values.pop("first_name", ""), values.pop("last_name", "")
    return values.get("name") or " ".join(part for part in (first, last) if part)


def class_year(text: str, reference_year: int) -> int | None:
    """A class year from the ways people write it: 2009, '09, 09, 2009.0, Class of 2009."""
    match = YEAR.match(" ".join(text.casefold().split()))
    if not match:
        raise ValueError(f"Class year “{clip(text)}” is not a year.")
    digits = match.group(1)
    year = int(digits)
    if len(digits) == 2:
        year += 2000 if 2000 + year <= reference_year + 6 else 1900
    if not 1900 <= year <= reference_year + 10:
        raise ValueError(f"Class year {year} is out of range.")
    return year


def yes_no(text: str) -> bool | None:
    """True for Yes-like answers, False for No-like ones, None for anything else."""
    words = re.sub(r"[,.!;:]", " ", fold(text)).split()
    first = words[0] if words else ""
    return True if first in YES else False if first in NO else None


def as_list(text: str) -> str:
    """A semicolon- or comma-separated answer as "a; b; c"."""
    separator = ";" if ";" in text else ","
    return "; ".join(p for p in (" ".join(part.split()) for part in text.split(separator)) if p)


def email(text: str) -> str:
    """The address, lower-cased; plain ASCII ones skip the (slower) full validator."""
    match = PLAIN_EMAIL.match(text) if len(text) <= 254 else None
    tld = match.group(1).rsplit(".", 1)[-1].lower() if match else ""
    if match and text.index("@") <= 64 and tld not in SPECIAL_USE_DOMAIN_NAMES:
        return text.lower()
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ValueError(f"Email “{clip(text)}” is not valid: {error}") from None


def clip(text: str, size: int = 60) -> str:
    """Text cut to a size that fits in a message."""
    return text if len(text) <= size else text[: size - 1] + "…"


def _limit(target: str, text: str, header: str = "") -> str:
    limit = TEXT_LIMITS.get(target)
    if limit and len(text) > limit:
        label = f"“{clip(header)}”" if target == "extra" else FIELDS[target]
        raise ValueError(f"{label} is longer than {limit:,} characters.")
    return text
