"""A guest's own profile and consent choices, as they change them on their profile page."""

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from ..database import writing
from ..extensions import db
from ..matching import tags
from ..members import memory
from ..models import Guest, fold
from ..privacy import consents

TAG_FIELDS = tags.FIELDS  # interests and help topics: one tag however it is spelled
LIST_FIELDS = ("residence_hall", "clubs")  # several names, kept as typed, duplicates dropped
TEXT_FIELDS = ("major", "industry", "employer", "role", "city")
CONSENTS = ("consent_findable", "consent_share_contact", "consent_digest", "consent_remember")
CHOICES = {name: column for name, column in consents.COLUMNS.items() if column in CONSENTS}
FIELDS = (
    "class_year",
    *TEXT_FIELDS,
    *LIST_FIELDS,
    *TAG_FIELDS,
    "linkedin_url",
    "networking_email",
    *CONSENTS,
)

# Any LinkedIn host (www, country subdomains, none) with a path; stored as https://www.linkedin.com.
_LINKEDIN = re.compile(r"^(?:[a-z]{2,3}\.|www\.)?linkedin\.com$")
LINKEDIN_HINT = "Paste your profile address, such as https://www.linkedin.com/in/your-name"
ROOM_LIST = 40  # people shown at once in the pick list: enough to scroll, small to load


def update(me: Guest, values: dict) -> Guest:
    """Save my profile: tags normalized, lists tidied, the LinkedIn address in its usual form."""
    changes = {name: clean(name, values[name]) for name in FIELDS if name in values}
    asks_again = changes.get("consent_digest") and not me.consent_digest
    chosen = {name: changes.pop(column) for name, column in CHOICES.items() if column in changes}
    with writing():
        for name, value in changes.items():
            setattr(me, name, value)
        consents.record(me, chosen, "guest")
        memory.after_save(me)
    if asks_again:  # ticking the box again is an opt-in: it undoes an unsubscribe
        from ..mail import subscriptions

        subscriptions.resubscribe(me, "guest")
    return me


def clean(name: str, value):
    """One field's value as it is stored."""
    if name in CONSENTS:
        return bool(value)
    if name == "class_year":
        return value or None
    text = (value or "").strip()
    if name in TAG_FIELDS:
        return tags.join(tags.split(text))
    if name in LIST_FIELDS:
        return tidy_list(text)
    if name == "linkedin_url":
        return linkedin(text) or ""
    return " ".join(text.split())


def tidy_list(text: str) -> str:
    """'; '-separated names with spacing tidied and repeats (any case or accent) dropped."""
    kept: dict[str, str] = {}
    for part in re.split(r"[;\n]", text or ""):
        name = tags.tidy(part)
        if name and fold(name) not in kept:
            kept[fold(name)] = name
    return "; ".join(kept.values())


def linkedin(text: str) -> str | None:
    """The LinkedIn profile address in https://www.linkedin.com/… form, or None if it is not one.

    People paste it from the app, the browser or a business card: with or without https://,
    www. or a country subdomain. Anything on another host is refused (links must go where they say).
    """
    text = (text or "").strip()
    if not text:
        return ""
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        odd = parts.username or parts.password or parts.port
    except ValueError:  # a malformed port or host
        return None
    host = (parts.hostname or "").lower()
    path = parts.path.rstrip("/")
    if odd or parts.scheme not in ("http", "https") or not _LINKEDIN.match(host):
        return None
    if len(path) < 2 or re.search(r"[\s\"'<>\\]", path):
        return None
    return f"https://www.linkedin.com{path}"  # tracking queries and fragments dropped


def findable(me: Guest, query: str = "", limit: int = ROOM_LIST) -> list[Guest]:
    """Others at my event who are checked in and chose to be findable, matched by name only.

    Never by email: typing "gmail" must not tell anyone who uses which address.
    """
    wanted = fold(query)[:100]
    rows = db.session.scalars(
        select(Guest)
        .where(
            Guest.event_id == me.event_id,
            Guest.consent_findable.is_(True),
            Guest.checked_in_at.is_not(None),
            Guest.id != me.id,
            Guest.search_key.contains(wanted, autoescape=True),
        )
        .order_by(Guest.name, Guest.id)
        .limit(limit * 5)  # some may match only by email; those are dropped below
    )
    return [person for person in rows if wanted in fold(person.name)][:limit]


def tag_options(me: Guest, field: str, typed: str) -> list[str]:
    """The field's whole value with its last tag completed, once per suggestion from the room.

    A <datalist> option replaces the whole input, so "Rowing; comp" offers "Rowing; compilers".
    Tags already in the field are not offered again.
    """
    *done, prefix = (typed or "")[:2000].split(";")
    have = tags.split(";".join(done))
    known = {tags.key(tag) for tag in have}
    found = tags.suggest(me.event_id, prefix.strip(), field)
    return [tags.join([*have, tag]) for tag in found if tags.key(tag) not in known]
