"""A member's "People I've met" as downloads: CSV rows and vCards (contact only where allowed)."""

from collections.abc import Iterator

from ..digest import vcards
from ..models import Guest
from . import met_before

HEADER = ("Name", "Class year", "Role", "Employer", "Event", "Date", "Connected", "My note")
HEADER += ("Email", "LinkedIn")


def rows(me: Guest) -> Iterator[tuple]:
    """One row per person and event, oldest first."""
    for c in met_before.connections(me):
        contact = c.contact or {}
        yield (
            *(c.name, c.class_year, c.role, c.employer, c.event_name),
            *(c.met_on.date().isoformat(), "yes" if c.mutual else "no", c.note),
            *(contact.get("email", ""), contact.get("linkedin", "")),
        )


def vcf(me: Guest) -> str:
    """A vCard for each connection whose contact details I may see."""
    return "".join(vcards.vcard_file([c], c.event_name) for c in met_before.connections(me))
