"""Why two guests should meet, in words: "You both lived in Watson Hall", "Maya can help with …".

Plain text in the guests' own spellings. Templates escape it; nothing here builds HTML.
"""

from . import tags

TEMPLATES = {
    "hall": "You both lived in {}",
    "club": "Both in {}",
    "major": "Both studied {}",
    "industry": "Both work in {}",
    "city": "Both in {}",
    "interest": "Both into {}",
    "gets": "{name} can help with {}",
    "gives": "You can help {name} with {}",
}
MOST_LISTED = 3  # items one merged reason names: "Both into fintech, writing and running"


def facts_of(profile) -> list[tuple[str, str, str]]:
    """A Profile's facts that others can share, as (kind, key, label), class year aside."""
    pairs = [("major", profile.major), ("industry", profile.industry), ("city", profile.city)]
    pairs += [("hall", h) for h in profile.halls] + [("club", c) for c in profile.clubs]
    pairs += [("interest", i) for i in profile.interests]
    return [(kind, k, text) for kind, text in pairs if (k := tags.key(text))]


def labels_of(profile) -> dict[tuple[str, str], str]:
    """A Profile's own spelling of each fact and help topic, by (kind, key)."""
    labels = {(kind, k): text for kind, k, text in facts_of(profile)}
    for kind, texts in (("can", profile.can_help), ("wants", profile.wants_help)):
        labels.update(((kind, tags.key(text)), text) for text in texts)
    return labels


def words(parts, labels: dict, my_year: int | None, name: str, merge: bool) -> list[str]:
    """Sentences for (weight, kind, key) parts, strongest first; merge joins parts of one kind.

    labels maps (kind, key) to my spelling; help topics are looked up as what I want ("gets",
    they can help me) or what I offer ("gives"). name is the other person's first name.
    """
    groups: dict[object, list] = {}
    for weight, kind, value in parts:
        if kind == "year":
            text = _years(my_year, value)
        elif kind in ("gets", "gives"):
            text = labels.get(("wants" if kind == "gets" else "can", value), value)
        else:
            text = labels.get((kind, value), value)
        slot = groups.setdefault(kind if merge else (kind, text), [0.0, kind, []])
        slot[0] += weight
        slot[2].append(text)
    ranked = sorted(groups.values(), key=lambda slot: slot[0], reverse=True)
    return [_sentence(kind, texts, name) for _, kind, texts in ranked]


def _years(mine: int | None, theirs: int) -> str:
    return f"Both class of {mine}" if mine == theirs else f"Classes of {mine} and {theirs}"


def _sentence(kind: str, texts: list[str], name: str) -> str:
    if kind == "year":
        return texts[0]
    shown = texts[:MOST_LISTED]
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    if not name:  # no first name on file: no pronoun guesses either
        template = "They can help with {}" if kind == "gets" else TEMPLATES[kind]
        return template.replace("{name}", "them").format(listed)
    return TEMPLATES[kind].replace("{name}", name).format(listed)
