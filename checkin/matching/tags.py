"""Interests and help topics as tags: one identity however people spell them, and suggestions.

"FinTech", "fin tech" and "fintech" are one tag: a tag's key folds case and accents and drops
spacing and punctuation, then maps a few well-known synonyms. The label is what people see: the
canonical spelling of a known synonym, else the tidied text the person typed.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

MAX_LENGTH = 50  # characters per tag: enough for "grad school applications in Europe"
MAX_TAGS = 20  # tags per field
FIELDS = ("interests", "can_help_with", "wants_help_with")

# Canonical label -> other spellings. Kept small on purpose: only abbreviations people really
# use for the same thing; anything subtler (plurals, "UX research" vs "UX design") stays apart.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "fintech": ("financial technology",),
    "machine learning": ("ML",),
    "artificial intelligence": ("AI",),
    "product management": ("PM", "product mgmt", "prod mgmt"),
    "venture capital": ("VC",),
    "UX design": ("UX", "user experience", "UX/UI", "UI/UX", "user experience design"),
}

_SEPARATORS = re.compile(r"[;,\n]")
# Symbols that carry meaning in a few names, spelled out before punctuation is dropped, so
# "C++" and "C#" do not both become "c".
_SPELLED = str.maketrans({"+": "plus", "#": "sharp", "&": "and"})


def _plain(text: str) -> str:
    """Case and accents folded, symbols spelled out, everything but letters and digits dropped."""
    decomposed = unicodedata.normalize("NFKD", text).translate(_SPELLED)
    return "".join(c for c in decomposed.casefold() if c.isalnum())


_CANONICAL: dict[str, str] = {}
for _label, _others in SYNONYMS.items():
    for _spelling in (_label, *_others):
        _CANONICAL[_plain(_spelling)] = _label


@lru_cache(maxsize=65536)
def key(tag: str) -> str:
    """The tag's identity: folded, unpunctuated, with known synonyms mapped to one key."""
    plain = _plain(tag or "")
    canonical = _CANONICAL.get(plain)
    return _plain(canonical) if canonical else plain


def tidy(text: str) -> str:
    """Text as typed, with spacing collapsed, stray separators trimmed and length capped."""
    text = " ".join((text or "").split()).strip(" ;,")
    if len(text) > MAX_LENGTH:
        text = text[:MAX_LENGTH].rstrip(" ;,-")
    return text


@lru_cache(maxsize=65536)
def label(tag: str) -> str:
    """How the tag is shown: the canonical spelling of a known synonym, else the tidied text."""
    text = tidy(tag)
    return _CANONICAL.get(_plain(text), text)


@lru_cache(maxsize=16384)
def _split(text: str) -> tuple[str, ...]:
    labels: dict[str, str] = {}
    for part in _SEPARATORS.split(text):
        shown = label(part)
        if (k := key(shown)) and k not in labels:
            labels[k] = shown
            if len(labels) == MAX_TAGS:
                break
    return tuple(labels.values())


def split(text: str) -> list[str]:
    """Parse "; "- or ","-separated input into tidy labels, one per key, at most MAX_TAGS."""
    return list(_split(text or ""))


def join(labels: Iterable[str]) -> str:
    """Labels back in the stored "; "-separated form."""
    return "; ".join(labels)


def suggest(event_id: int, prefix: str, field: str, limit: int = 8) -> list[str]:
    """Labels others at this event entered for the field, matching the prefix, most used first.

    Help topics suggest from both help fields, so "can help with" and "wants help with" converge
    on the same spellings. Only findable guests' tags are counted: their profiles are visible
    to the room anyway, and nobody else's free text leaks into someone's typing.
    """
    from sqlalchemy import select

    from ..extensions import db
    from ..models import Guest

    if field not in FIELDS:
        raise ValueError(f"no tag suggestions for {field!r}")
    names = ("interests",) if field == "interests" else FIELDS[1:]
    columns = [getattr(Guest, name) for name in names]
    rows = db.session.execute(
        select(*columns).where(Guest.event_id == event_id, Guest.consent_findable)
    )
    return _ranked((text for row in rows for text in row), prefix, limit)


def _ranked(texts: Iterable[str], prefix: str, limit: int) -> list[str]:
    """The most used labels among the texts whose key, or a word's, starts with the prefix."""
    counts: Counter[str] = Counter()
    shown: dict[str, Counter[str]] = {}
    for text in texts:
        for tag in _split(text or ""):
            k = key(tag)
            counts[k] += 1
            shown.setdefault(k, Counter())[tag] += 1
    wanted = (_plain(prefix or ""), key(prefix or ""))
    found = [k for k in counts if _matches(shown[k], wanted)]
    found.sort(key=lambda k: (-counts[k], k))
    return [shown[k].most_common(1)[0][0] for k in found[:limit]]


def _matches(labels: Counter[str], wanted: tuple[str, str]) -> bool:
    """True if the prefix starts the label or one of its words (raw, or as a synonym)."""
    plain, canonical = wanted
    for text in labels:
        words = text.split()
        for start in range(len(words)):
            rest = " ".join(words[start:])
            if _plain(rest).startswith(plain) or key(rest).startswith(canonical):
                return True
    return False
