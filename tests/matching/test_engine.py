"""The matching engine: rarity weights, mentoring both ways, diversity, reasons in words."""

import itertools
import random

import pytest
from markupsafe import Markup

from checkin.extensions import db
from checkin.matching.engine import SAMPLE, Matcher, Profile, load_profiles, mentoring, profile_of
from checkin.models import Guest

_ids = itertools.count(1000)


def crowd(count: int, **fields) -> list[Profile]:
    """count filler profiles with the given fields (fresh ids from 1000 up)."""
    return [Profile(id=next(_ids), first_name="Filler", **fields) for _ in range(count)]


def ids(suggestions) -> list[int]:
    return [s.id for s in suggestions]


def test_rare_shared_fact_outranks_a_common_one():
    """Sharing a 40-person hall beats sharing an industry with 300 others."""
    me = Profile(1, "Ada", halls=("Watson Hall",), industry="Finance")
    hall_mate = Profile(2, "Bea", halls=("Watson Hall",), industry="Law")
    colleague = Profile(3, "Cy", halls=("Baker House",), industry="Finance")
    room = [me, hall_mate, colleague]
    room += crowd(38, halls=("Watson Hall",), industry="Media")
    room += crowd(298, halls=("Baker House",), industry="Finance")
    room += crowd(60, halls=("Ellis Hall",), industry="Law")
    matcher = Matcher(room)
    assert matcher.score(1, 2) > matcher.score(1, 3) > 0
    assert ids(matcher.suggest(1, candidates={2, 3}, limit=2)) == [2, 3]


def test_rarity_not_the_kind_of_fact_decides():
    """The other way round: a 40-person industry beats a hall 300 others lived in."""
    me = Profile(1, "Ada", halls=("Baker House",), industry="Biotech")
    hall_mate = Profile(2, "Bea", halls=("Baker House",), industry="Law")
    colleague = Profile(3, "Cy", halls=("Ellis Hall",), industry="Biotech")
    room = [me, hall_mate, colleague]
    room += crowd(298, halls=("Baker House",), industry="Media")
    room += crowd(38, halls=("Ellis Hall",), industry="Biotech")
    room += crowd(60, halls=("Ellis Hall",), industry="Law")
    matcher = Matcher(room)
    assert matcher.score(1, 3) > matcher.score(1, 2) > 0


def test_rare_facts_are_found_beyond_the_sampled_window():
    """In a big room each person's only rare match (a two-person club) is their top pick."""
    room = []
    for pair in range(20):
        for person in range(2):
            club = (f"Club {pair}",)
            room.append(Profile(pair * 2 + person + 1, "P", clubs=club, industry="Finance"))
    room += crowd(SAMPLE * 6, industry="Finance", city="Boston")
    matcher = Matcher(room)
    for me in range(1, 41):
        partner = me + 1 if me % 2 else me - 1
        assert matcher.suggest(me, limit=3)[0].id == partner


def random_room(size: int, seed: int = 7) -> list[Profile]:
    """A room drawing from small lists, and halls from 60 (about 33 people each: rare)."""
    rng = random.Random(seed)
    words = ["a", "b", "c", "d", "e", "f", "g", "h"]
    return [
        Profile(
            n,
            f"P{n}",
            rng.randint(1990, 2000),
            major=rng.choice(words),
            halls=(f"hall {rng.randrange(60)}",),
            clubs=tuple(rng.sample(words, 2)),
            industry=rng.choice(words),
            city=rng.choice(words),
            interests=tuple(rng.sample(words, 3)),
            can_help=tuple(rng.sample(words, rng.randint(0, 2))),
            wants_help=tuple(rng.sample(words, rng.randint(0, 2))),
        )  # fmt: skip
        for n in range(1, size + 1)
    ]


@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_sweep_is_exact_inside_the_window(position):
    """Inside my window (wrapping round the ends) the fast scores equal the exact ones."""
    matcher = Matcher(random_room(SAMPLE * 4))
    i = {"first": 0, "middle": matcher.n // 2, "last": matcher.n - 1}[position]
    people, (shared, gained, given) = matcher.overlap.sweep(i, SAMPLE)
    fast = dict(zip(people.tolist(), shared + mentoring(gained, given), strict=True))
    window = [(i + d) % matcher.n for d in range(-(SAMPLE // 2), SAMPLE // 2 + 1)]
    me = matcher.profiles[i].id
    exact = {j: matcher.score(me, matcher.profiles[j].id) for j in window if j != i}
    assert all(fast[j] == pytest.approx(score) for j, score in exact.items() if score > 0)
    assert {j for j in fast if j != i} >= {j for j, score in exact.items() if score > 0}


def test_mentoring_counts_both_ways():
    """Help I can give counts like help I can get: the pair scores the same from both sides."""
    mentor = Profile(1, "Maya", can_help=("fundraising",))
    mentee = Profile(2, "Noor", wants_help=("fundraising",))
    matcher = Matcher([mentor, mentee, *crowd(50, industry="Law")])
    assert matcher.score(1, 2) == matcher.score(2, 1) > 0
    assert ids(matcher.suggest(1)) == [2]
    assert ids(matcher.suggest(2)) == [1]
    assert matcher.reasons(2, 1) == ["Maya can help with fundraising"]
    assert matcher.reasons(1, 2) == ["You can help Noor with fundraising"]


def test_two_sided_fit_beats_one_sided():
    """Someone who helps me and whom I help beats someone who only helps me."""
    me = Profile(1, "Ada", can_help=("hiring",), wants_help=("fundraising",))
    both = Profile(2, "Bea", can_help=("fundraising",), wants_help=("hiring",))
    one_way = Profile(3, "Cy", can_help=("fundraising",))
    matcher = Matcher([me, both, one_way, *crowd(50, industry="Law")])
    assert matcher.score(1, 2) > matcher.score(1, 3) > 0
    assert ids(matcher.suggest(1)) == [2, 3]
    assert set(matcher.reasons(1, 2)) == {
        "Bea can help with fundraising",
        "You can help Bea with hiring",
    }


@pytest.fixture
def rowing_club():
    """Me, three people who share my club, and a crowd that shares nothing."""
    me = Profile(1, "Ada", clubs=("Rowing",))
    mates = [Profile(n, "Mate", clubs=("Rowing",)) for n in (2, 3, 4)]
    return Matcher([me, *mates, *crowd(30, clubs=("Chess",))])


def test_exclude_drops_people_already_recorded(rowing_club):
    """People already met never come back."""
    assert set(ids(rowing_club.suggest(1))) == {2, 3, 4}
    assert set(ids(rowing_club.suggest(1, exclude={2, 3}))) == {4}


def test_candidates_limit_who_may_be_suggested(rowing_club):
    """Only candidates are suggested; unknown ids and an empty set are harmless."""
    assert ids(rowing_club.suggest(1, candidates={3, 999})) == [3]
    assert ids(rowing_club.suggest(1, candidates=[4])) == [4]
    assert rowing_club.suggest(1, candidates=set()) == []


def test_never_suggests_yourself(rowing_club):
    """Even when I am among the candidates I am not my own match."""
    assert 1 not in ids(rowing_club.suggest(1, candidates={1, 2, 3, 4}))
    assert rowing_club.reasons(1, 1) == [] and rowing_club.shared(1, 1) == []


def test_unknown_people_get_nothing(rowing_club):
    """An id the matcher was not built with gets no suggestions and no reasons."""
    assert rowing_club.suggest(404) == []
    assert rowing_club.shared(1, 404) == []


def test_results_are_diverse():
    """Five people sharing only my industry do not fill all five slots."""
    me = Profile(1, "Ada", industry="Finance", city="Boston", interests=("writing",))
    finance = [Profile(n, "Fin", industry="Finance") for n in range(2, 7)]
    writer = Profile(7, "Wren", interests=("writing",), industry="Law")
    local = Profile(8, "Lou", city="Boston", industry="Law")
    room = [me, *finance, writer, local]
    room += crowd(8, interests=("writing",), industry="Law")
    room += crowd(8, city="Boston", industry="Law")
    room += crowd(74, industry="Law", city="Chicago")
    matcher = Matcher(room)
    # By score alone, the five Finance people would take every slot.
    assert min(matcher.score(1, f.id) for f in finance) > matcher.score(1, 7)
    assert matcher.score(1, 7) > matcher.score(1, 8) > 0
    picked = matcher.suggest(1, limit=5)
    assert picked[0].id in range(2, 7)
    assert sum(s.id in range(2, 7) for s in picked) <= 3
    reasons = {reason for s in picked for reason in s.reasons}
    assert {"Both work in Finance", "Both into writing", "Both in Boston"} <= reasons


def test_explanations_name_the_facts():
    """Every shared fact comes back in words, from my side, strongest first."""
    me = Profile(
        1, "Ada", 2009, major="Economics", halls=("Watson Hall",), clubs=("Rowing",),
        industry="Finance", city="Boston", interests=("climate tech", "FinTech"),
        can_help=("fundraising",), wants_help=("product management",),
    )  # fmt: skip
    maya = Profile(
        2, "Maya", 2009, major="economics", halls=("Watson Hall",), clubs=("rowing",),
        industry="Finance", city="Boston", interests=("Climate-Tech", "fin tech"),
        can_help=("PM",), wants_help=("Fundraising",),
    )  # fmt: skip
    matcher = Matcher([me, maya, *crowd(40, industry="Law", city="Chicago", class_year=1990)])
    chips = matcher.shared(1, 2)
    assert set(chips) == {
        "You both lived in Watson Hall",
        "Both in Rowing",
        "Both class of 2009",
        "Both studied Economics",
        "Both work in Finance",
        "Both in Boston",
        "Both into climate tech",
        "Both into FinTech",
        "Maya can help with product management",
        "You can help Maya with fundraising",
    }
    reasons = matcher.reasons(1, 2)
    assert len(reasons) == 3
    assert reasons == matcher.suggest(1)[0].reasons
    assert "Both into climate tech and FinTech" in matcher.reasons(1, 2, limit=10)


def test_reasons_are_strongest_first():
    """A rare hall comes before a common city in the reasons."""
    me = Profile(1, "Ada", halls=("Watson Hall",), city="Boston")
    other = Profile(2, "Bea", halls=("Watson Hall",), city="Boston")
    matcher = Matcher([me, other, *crowd(60, city="Boston")])
    assert matcher.reasons(1, 2) == ["You both lived in Watson Hall", "Both in Boston"]


@pytest.mark.parametrize(
    ("mine", "theirs", "words"),
    [
        (2009, 2009, "Both class of 2009"),
        (2009, 2011, "Classes of 2009 and 2011"),
        (2011, 2009, "Classes of 2011 and 2009"),
    ],
)
def test_class_years_within_two(mine, theirs, words):
    """Class years up to two apart are shared, named from my side."""
    matcher = Matcher([Profile(1, "A", mine), Profile(2, "B", theirs), *crowd(9, class_year=1980)])
    assert matcher.shared(1, 2) == [words]


def test_class_years_three_apart_are_not_shared():
    """Three years apart is not the same cohort."""
    matcher = Matcher([Profile(1, "A", 2009), Profile(2, "B", 2012)])
    assert matcher.shared(1, 2) == [] and matcher.suggest(1) == []


def test_closer_years_count_more():
    """The same class year beats two years apart."""
    matcher = Matcher([Profile(1, "A", 2009), Profile(2, "B", 2009), Profile(3, "C", 2011)])
    assert matcher.score(1, 2) > matcher.score(1, 3) > 0


def test_markup_comes_back_as_plain_text():
    """A club named with markup is text in the reasons: no HTML built, nothing escaped."""
    club = "<b>Rowing</b> & <script>alert(1)</script>"
    room = [
        Profile(1, "Ada", clubs=(club,)),
        Profile(2, "<i>Bo</i>", clubs=(club,), can_help=("x",)),
        Profile(3, "Cy", wants_help=("x",)),
    ]
    matcher = Matcher(room)
    reasons = matcher.suggest(1)[0].reasons
    assert reasons == [f"Both in {club}"]
    assert all(type(r) is str and not isinstance(r, Markup) for r in reasons)
    assert matcher.reasons(3, 2) == ["<i>Bo</i> can help with x"]


def test_no_first_name_means_no_pronoun_guess():
    """Without a first name the reason says "They" and "them"."""
    matcher = Matcher(
        [
            Profile(1, "", can_help=("a",), wants_help=("b",)),
            Profile(2, "Ada", can_help=("b",), wants_help=("a",)),
        ]
    )
    assert set(matcher.shared(2, 1)) == {"They can help with a", "You can help them with b"}


def test_suggestions_carry_two_or_three_reasons():
    """A well-matched pair's suggestion has at most three reasons, strongest first."""
    same = dict(class_year=2000, major="History", halls=("Watson Hall",), clubs=("Rowing",))
    me, twin = Profile(1, "A", industry="Law", **same), Profile(2, "B", industry="Law", **same)
    (suggestion,) = Matcher([me, twin, *crowd(20, industry="Media")]).suggest(1)
    assert suggestion.id == 2 and 2 <= len(suggestion.reasons) <= 3
    assert suggestion.reasons[0] in {"You both lived in Watson Hall", "Both in Rowing"}


def test_profiles_load_from_one_event(app, ctx, make_event):
    """load_profiles reads one event's guests, with tags parsed, and nobody else."""
    slugs = make_event("Reunion"), make_event("Gala")
    mine, other = (_event_id(slug) for slug in slugs)
    person = Guest(
        event_id=mine,
        name="Maya Chen",
        class_year=2009,
        residence_hall="Watson Hall; Baker House",
        clubs="Rowing, rowing",
        interests="FinTech; fin tech; ML",
        can_help_with="PM",
        wants_help_with="",
        major=" Economics ",
        city="Boston",
    )
    db.session.add_all([person, Guest(event_id=other, name="Not Me")])
    db.session.commit()
    (profile,) = load_profiles(mine)
    assert profile == profile_of(person)
    assert profile.first_name == "Maya"
    assert profile.halls == ("Watson Hall", "Baker House")
    assert profile.clubs == ("Rowing",)
    assert profile.interests == ("fintech", "machine learning")
    assert profile.can_help == ("product management",) and profile.wants_help == ()
    assert profile.major == "Economics"


def _event_id(slug: str) -> int:
    from sqlalchemy import select

    from checkin.models import Event

    return db.session.scalar(select(Event.id).where(Event.slug == slug))
