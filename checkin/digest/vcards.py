"""Contact cards (.vcf, vCard 3.0) of the people a digest's reader may keep, made by vobject."""

import vobject


def vcard_file(entries, event_name: str, cache: dict | None = None) -> str:
    """One .vcf holding a vCard per entry that carries contact details (others are left out).

    cache: vCards already made in this batch, by everything they show (a person is the
    contact of several readers; vobject takes a third of a millisecond per card).
    """
    cache = {} if cache is None else cache
    cards = []
    for entry in entries:
        if not entry.contact:
            continue
        key = (entry.id, entry.name, entry.class_year, entry.role, entry.employer)
        key += (entry.contact.get("email"), entry.contact.get("linkedin"), event_name)
        if key not in cache:
            cache[key] = _card(entry, event_name).serialize()
        cards.append(cache[key])
    return "".join(cards)


def _card(entry, event_name: str) -> vobject.base.Component:
    card = vobject.vCard()
    card.add("fn").value = entry.name
    given, _, family = entry.name.partition(" ")  # "Rosa Ó Súilleabháin": Rosa, Ó Súilleabháin
    card.add("n").value = vobject.vcard.Name(family=family, given=given)
    if entry.contact.get("email"):
        email = card.add("email")
        email.value = entry.contact["email"]
        email.type_param = "INTERNET"
    if entry.contact.get("linkedin"):
        card.add("url").value = entry.contact["linkedin"]
    if entry.employer:
        card.add("org").value = [entry.employer]
    if entry.role:
        card.add("title").value = entry.role
    note = f"Met at {event_name}"
    if entry.class_year:
        note += f"; class of {entry.class_year}"
    card.add("note").value = note
    return card
