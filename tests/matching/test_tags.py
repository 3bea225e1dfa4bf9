"""Tags: one identity however people spell them, tidy labels, and suggestions from the room."""

import pytest
from sqlalchemy import select

from checkin.extensions import db
from checkin.matching import tags
from checkin.models import Event, Guest


@pytest.mark.parametrize(
    ("spellings", "shown"),
    [
        (["FinTech", "fin tech", "fintech", "Fin-Tech", "financial technology"], "fintech"),
        (["ML", "machine learning", "Machine  Learning", "m.l."], "machine learning"),
        (["PM", "product mgmt", "Product Management"], "product management"),
        (["VC", "venture capital", "Venture-Capital"], "venture capital"),
        (["UX", "user experience", "UI/UX", "UX/UI"], "UX design"),
        (["AI", "A.I.", "artificial intelligence"], "artificial intelligence"),
    ],
)
def test_synonyms_are_one_tag_with_one_label(spellings, shown):
    """Every spelling of a known synonym has the same key and the canonical label."""
    assert len({tags.key(s) for s in spellings}) == 1
    assert {tags.label(s) for s in spellings} == {shown}


@pytest.mark.parametrize(
    "spellings",
    [
        ["climate tech", "Climate-Tech", " climate   tech ", "CLIMATE TECH!", "climate_tech"],
        ["Économie", "economie", "ÉCONOMIE", "écono-mie"],
        ["São Paulo", "sao paulo", "Sao-Paulo"],
        ["Straße", "STRASSE", "strasse"],
    ],
)
def test_case_spacing_punctuation_and_accents_fold(spellings):
    """Case, spacing, punctuation and accents do not make a different tag."""
    assert len({tags.key(s) for s in spellings}) == 1


def test_different_things_stay_different():
    """Symbols that carry meaning are kept, and near neighbours are not merged."""
    keys = [tags.key(t) for t in ("C", "C++", "C#", "UX research", "UX design", "fintech")]
    assert len(set(keys)) == len(keys)
    assert tags.key("!!!") == tags.key("") == ""


def test_label_is_the_tidied_text_as_typed():
    """Unknown tags keep the person's capitals and accents, with spacing tidied."""
    assert tags.label("  Économie   du   Développement ; ") == "Économie du Développement"


def test_labels_are_capped_in_length():
    """A paragraph pasted as a tag is cut to MAX_LENGTH characters."""
    long = "sustainable " * 20
    assert len(tags.label(long)) <= tags.MAX_LENGTH
    assert tags.label(long).startswith("sustainable sustainable")
    assert all(len(t) <= tags.MAX_LENGTH for t in tags.split(f"{long}; short"))


def test_split_parses_tidies_and_deduplicates():
    """Semicolons, commas and new lines separate; the first spelling of a tag wins."""
    text = "FinTech; fin tech, Climate Tech\n climate-tech;; ML ; ;, Écriture"
    assert tags.split(text) == ["fintech", "Climate Tech", "machine learning", "Écriture"]
    assert tags.split("") == [] and tags.split(None) == []


def test_split_keeps_at_most_max_tags():
    """Twenty tags at most per field."""
    labels = tags.split("; ".join(f"topic {n}" for n in range(50)))
    assert labels == [f"topic {n}" for n in range(tags.MAX_TAGS)]


@pytest.mark.parametrize(
    "text", ["a; b; c", "FinTech, fin tech; PM", "  x  ;y;;z  ", "Économie; économie; C++; C#"]
)
def test_split_and_join_round_trip(text):
    """Stored text parses back to the same labels."""
    labels = tags.split(text)
    assert tags.split(tags.join(labels)) == labels
    assert tags.join(labels) == "; ".join(labels)


@pytest.fixture
def two_events(app, make_event):
    """Two events with guests who typed tags; returns the two event ids."""
    slugs = make_event("Reunion"), make_event("Gala")
    with app.app_context():
        first, second = (
            db.session.scalar(select(Event.id).where(Event.slug == slug)) for slug in slugs
        )
        people = [
            (first, "FinTech; climate tech", "fundraising", "", True),
            (first, "fin tech; Film Festivals", "", "Fundraising; finance", True),
            (first, "fintech; finance law", "", "", True),
            (first, "fiction writing", "", "", False),  # not findable: never suggested
            (second, "film; finland; FinTech", "finding investors", "", True),
        ]
        db.session.add_all(
            Guest(
                event_id=event,
                name="P",
                interests=interests,
                can_help_with=can,
                wants_help_with=wants,
                consent_findable=findable,
            )
            for event, interests, can, wants, findable in people
        )
        db.session.commit()
    return first, second


def test_suggest_ranks_the_events_tags_by_use(app, two_events):
    """Tags matching the prefix, most used first, from this event only."""
    first, second = two_events
    with app.app_context():
        assert tags.suggest(first, "fin", "interests") == ["fintech", "finance law"]
        assert tags.suggest(first, "FIN TE", "interests") == ["fintech"]
        assert tags.suggest(second, "fin", "interests") == ["finland", "fintech"]


def test_suggest_never_shows_another_events_tags(app, two_events):
    """Another event's tags and non-findable guests' tags never appear."""
    first, _ = two_events
    with app.app_context():
        everything = tags.suggest(first, "", "interests", limit=50)
        assert "film" not in everything and "finland" not in everything
        assert "fiction writing" not in everything
        assert set(everything) == {"fintech", "climate tech", "Film Festivals", "finance law"}
        assert tags.suggest(first, "finding", "can_help_with") == []


def test_suggest_matches_word_starts_and_synonyms(app, two_events):
    """ "law" finds "finance law"; "fin tech" and "FinTech" are one suggestion."""
    first, _ = two_events
    with app.app_context():
        assert tags.suggest(first, "law", "interests") == ["finance law"]
        assert tags.suggest(first, "festi", "interests") == ["Film Festivals"]


def test_help_topics_suggest_from_both_help_fields(app, two_events):
    """Help topics converge: "can help" suggests what others want help with, and back."""
    first, _ = two_events
    with app.app_context():
        assert tags.suggest(first, "f", "can_help_with") == ["fundraising", "finance"]
        assert tags.suggest(first, "f", "wants_help_with") == ["fundraising", "finance"]


def test_suggest_limits_and_rejects_unknown_fields(app, two_events):
    """limit caps the list; only the three tag fields have suggestions."""
    first, _ = two_events
    with app.app_context():
        assert len(tags.suggest(first, "", "interests", limit=2)) == 2
        with pytest.raises(ValueError):
            tags.suggest(first, "a", "email")
