"""Who to meet: shared facts weighted by rarity, reciprocal mentoring fit, diverse results.

Pure (no Flask, no database) except load_profiles(); the guest pages and the digest share it.
A shared fact (hall, club, major, industry, city, interest, class year within two years) weighs
KIND[kind] * log(1 + N / people with it), so a 40-person hall beats an industry 300 others work
in. Mentoring: what you can help me with against what I want (I gain), and the reverse (you
gain); their harmonic mean counts in full, so both sides must gain, and a one-way fit a little.

Speed: an inverted index (overlap.py, on numpy). Facts of at most RARE people are read in full;
commoner ones (low weight anyway) only for a window of SAMPLE people around me in a seeded random
order, the same window for every fact, so the sums inside it are exact and the work per person is
bounded: a whole event costs O(N), not O(N^2). Events of up to SAMPLE people are exact. The best
SHORTLIST * limit are then rescored exactly, diversified and put into words.
"""

import heapq
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from . import reasons, tags
from .overlap import Overlap

KIND = dict(hall=1.0, club=1.0, year=0.8, major=0.8, industry=0.8, city=0.6, interest=0.9)
HELP = 1.2  # a help topic's weight, on top of its rarity among those who can help with it
ONE_WAY = 0.35  # share of a one-way mentoring fit that counts without anything coming back
CLOSENESS = (1.0, 0.8, 0.6)  # class years 0, 1 or 2 apart
DIVERSITY = 0.5  # each earlier result sharing the same fact halves that fact's worth
RARE = 50  # facts shared by this many people or fewer are read in full
SAMPLE = 1000  # people each person is compared with through common facts; smaller events: exact
SHORTLIST = 3  # results rescored exactly and re-ranked for diversity, per result wanted


@dataclass(frozen=True)
class Profile:
    """What matching knows about one guest: labels as they entered them (tidied)."""

    id: int
    first_name: str = ""
    class_year: int | None = None
    major: str = ""
    halls: tuple[str, ...] = ()
    clubs: tuple[str, ...] = ()
    industry: str = ""
    city: str = ""
    interests: tuple[str, ...] = ()
    can_help: tuple[str, ...] = ()
    wants_help: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    """Someone to meet, how strongly, and why in words (strongest reason first)."""

    id: int
    score: float
    reasons: list[str] = field(default_factory=list)


def profile_of(guest) -> Profile:
    """A Profile from an Guest (or any row with the same attribute names)."""
    first = getattr(guest, "first_name", None) or (guest.name or "").split(" ", 1)[0]
    return Profile(
        id=guest.id,
        first_name=first,
        class_year=guest.class_year,
        major=tags.tidy(guest.major),
        halls=tuple(tags.split(guest.residence_hall)),
        clubs=tuple(tags.split(guest.clubs)),
        industry=tags.tidy(guest.industry),
        city=tags.tidy(guest.city),
        interests=tuple(tags.split(guest.interests)),
        can_help=tuple(tags.split(guest.can_help_with)),
        wants_help=tuple(tags.split(guest.wants_help_with)),
    )


def load_profiles(event_id: int) -> list[Profile]:
    """Every guest of the event as a Profile, in one query (ordered by id).

    Everyone counts towards rarity; who may be suggested is the caller's choice (candidates).
    """
    from sqlalchemy import select

    from ..extensions import db
    from ..models import Guest

    a = Guest
    columns = (a.id, a.name, a.class_year, a.major, a.residence_hall, a.clubs, a.industry)
    columns += (a.city, a.interests, a.can_help_with, a.wants_help_with)
    query = select(*columns).where(a.event_id == event_id)
    return [profile_of(row) for row in db.session.execute(query.order_by(Guest.id))]


class Matcher:
    """Suggestions for one event's guests; build once per event snapshot, ask many times."""

    def __init__(self, profiles: list[Profile]):
        """Index the profiles and weigh every fact by its rarity among them."""
        order = list(profiles)
        random.Random(len(order)).shuffle(order)  # the seeded order the sample windows follow
        self.profiles, self.n = order, len(order)
        self.index = {p.id: i for i, p in enumerate(order)}
        self._index_facts()
        self.years = [p.class_year for p in order]
        self.year_postings: dict[int, list[int]] = defaultdict(list)
        for i, year in enumerate(self.years):
            if year is not None:
                self.year_postings[year].append(i)
        self.cohort_idf = {
            y: _idf(self.n, sum(len(self.year_postings.get(y + d, ())) for d in range(-2, 3)))
            for y in list(self.year_postings)
        }
        self.overlap = self._overlap()

    def _overlap(self) -> Overlap:
        """The index the rough scores sweep: facts, class years, who can and who wants help."""
        year_list = {y: len(self.postings) + k for k, y in enumerate(self.year_postings)}
        can_at = len(self.postings) + len(year_list)
        wants_at = can_at + len(self.topic_names)
        lists = [*self.postings, *self.year_postings.values()]
        lists += [*self.can_postings, *self.wants_postings]
        queries = []
        for i, mine in enumerate(self.years):
            query = [(f, self.weight[f], 0) for f in self.facts[i]]
            if mine is not None:
                near = (y for y in range(mine - 2, mine + 3) if y in year_list)
                query += [(year_list[y], self.year_weight(mine, y), 0) for y in near]
            query += [(can_at + t, self.help_weight[t], 1) for t in self.wants[i]]
            query += [(wants_at + t, self.help_weight[t], 2) for t in self.can[i]]
            queries.append(query)
        return Overlap(self.n, lists, queries, RARE)

    def _index_facts(self) -> None:
        """Number facts and help topics, list who holds each, and weigh them by rarity."""
        fact_ids, topic_ids, order = {}, {}, self.profiles
        self.fact_names: list[tuple[str, str]] = []  # fact id -> (kind, key)
        self.topic_names: list[str] = []  # help topic id -> key
        facts = ([f[:2] for f in reasons.facts_of(p)] for p in order)
        self.facts = [_ids(mine, fact_ids, self.fact_names) for mine in facts]
        self.can = [_ids(map(tags.key, p.can_help), topic_ids, self.topic_names) for p in order]
        self.wants = [_ids(map(tags.key, p.wants_help), topic_ids, self.topic_names) for p in order]
        self.postings = _postings(self.facts, len(self.fact_names))
        self.can_postings = _postings(self.can, len(self.topic_names))
        self.wants_postings = _postings(self.wants, len(self.topic_names))
        kinds = [KIND[kind] for kind, _ in self.fact_names]
        self.weight = [k * _idf(self.n, len(p)) for k, p in zip(kinds, self.postings, strict=True)]
        self.help_weight = [HELP * _idf(self.n, len(people)) for people in self.can_postings]

    def year_weight(self, mine: int, theirs: int) -> float:
        """What sharing class years (at most two apart) is worth: closer and rarer is more."""
        rarity = (self.cohort_idf[mine] + self.cohort_idf[theirs]) / 2
        return KIND["year"] * CLOSENESS[abs(mine - theirs)] * rarity

    def breakdown(self, i: int, j: int) -> list[tuple[float, tuple]]:
        """Every part of the pair's score, as (weight, token), strongest first; sums to it."""
        parts = [(self.weight[f], ("fact", f)) for f in self.facts[i] & self.facts[j]]
        mine, theirs = self.years[i], self.years[j]
        if mine is not None and theirs is not None and abs(mine - theirs) <= 2:
            parts.append((self.year_weight(mine, theirs), ("year", theirs)))
        gets = [(self.help_weight[t], ("gets", t)) for t in self.wants[i] & self.can[j]]
        gives = [(self.help_weight[t], ("gives", t)) for t in self.can[i] & self.wants[j]]
        if gets or gives:
            gained, given = sum(w for w, _ in gets), sum(w for w, _ in gives)
            scale = mentoring(gained, given) / (gained + given)
            parts += [(w * scale, token) for w, token in gets + gives]
        parts.sort(key=lambda part: part[0], reverse=True)
        return parts

    def score(self, me_id: int, other_id: int) -> float:
        """The pair's score (the same from both sides)."""
        return sum(w for w, _ in self.breakdown(self.index[me_id], self.index[other_id]))

    def suggest(self, me_id, exclude=frozenset(), candidates=None, limit=5) -> list[Suggestion]:
        """The best people for me to meet, diverse, each with two or three reasons.

        exclude: ids never to suggest (people already recorded); candidates: if given, the only
        ids that may be suggested (checked in and findable, say).
        """
        if candidates is not None and not isinstance(candidates, set | frozenset):
            candidates = set(candidates)
        i = self.index.get(me_id)
        if i is None or limit <= 0 or candidates is not None and not candidates:
            return []
        barred = {i} | {self.index[e] for e in exclude if e in self.index}
        best = self._shortlist(i, barred, candidates, limit * SHORTLIST)
        shortlist = [(j, parts) for j in best if (parts := self.breakdown(i, j))]
        labels = reasons.labels_of(self.profiles[i])
        return [
            Suggestion(self.profiles[j].id, round(total, 4), self._explain(i, j, parts, labels)[:3])
            for total, j, parts in _diverse(shortlist, limit)
        ]

    def reasons(self, me_id: int, other_id: int, limit: int = 3) -> list[str]:
        """The pair's strongest reasons in words, related facts merged into one."""
        return self._words(me_id, other_id, merge=True)[:limit]

    def shared(self, me_id: int, other_id: int) -> list[str]:
        """Every fact the two share, one chip each, in words, strongest first, as I see it."""
        return self._words(me_id, other_id, merge=False)

    def _words(self, me_id: int, other_id: int, merge: bool) -> list[str]:
        i, j = self.index.get(me_id), self.index.get(other_id)
        if i is None or j is None or i == j:
            return []
        labels = reasons.labels_of(self.profiles[i])
        return self._explain(i, j, self.breakdown(i, j), labels, merge)

    def _explain(self, i: int, j: int, parts: list, labels: dict, merge=True) -> list[str]:
        """The parts of a pair's score in words, from i's side (labels: my spellings)."""
        me, other = self.profiles[i], self.profiles[j]
        named = []
        for weight, (kind, value) in parts:
            if kind == "fact":
                kind, value = self.fact_names[value]
            elif kind != "year":
                value = self.topic_names[value]
            named.append((weight, kind, value))
        return reasons.words(named, labels, me.class_year, other.first_name, merge)

    def _shortlist(self, i: int, barred: set[int], candidates, size: int) -> list[int]:
        """The best-scoring people for me by the sweep, best first (not yet diversified).

        The sweep is exact inside my window and counts only rare facts outside it; the caller
        rescores the shortlist exactly. Candidates widen the window in proportion, so about
        SAMPLE of them are compared whatever share of the room they are.
        """
        width = SAMPLE if candidates is None else SAMPLE * self.n // max(len(candidates), 1)
        people, (shared, gained, given) = self.overlap.sweep(i, width)
        score = shared + mentoring(gained, given)
        if candidates is None and len(score) > size + len(barred):
            top = np.argpartition(-score, size + len(barred))[: size + len(barred)]
            people, score = people[top], score[top]
        best = []
        for k in np.argsort(-score, kind="stable").tolist():
            j = int(people[k])
            if score[k] <= 0 or len(best) == size:
                break
            if j not in barred and (candidates is None or self.profiles[j].id in candidates):
                best.append(j)
        return best


def _ids(keys, ids: dict, names: list) -> frozenset[int]:
    """The keys' ids (empty keys skipped), numbering new keys as they come."""
    mine = set()
    for k in keys:
        if k:
            if k not in ids:
                ids[k] = len(names)
                names.append(k)
            mine.add(ids[k])
    return frozenset(mine)


def _postings(sets: list[frozenset[int]], size: int) -> list[list[int]]:
    """For each id, the people (in index order) whose set holds it."""
    postings: list[list[int]] = [[] for _ in range(size)]
    for i, mine in enumerate(sets):
        for f in mine:
            postings[f].append(i)
    return postings


def mentoring(gained, given):
    """A pair's mentoring fit: in full where both sides gain, a little where only one does.

    The harmonic mean is 0 unless both gain. Works on numbers and numpy arrays alike (the tiny
    constant only keeps 0 / 0 away).
    """
    total = gained + given
    return 2 * gained * given / (total + 1e-300) + ONE_WAY * total


def _idf(n: int, people: int) -> float:
    """Rarity of a fact shared by that many of n people."""
    return math.log(1 + n / max(people, 1))


def _diverse(scored: list[tuple[int, list]], limit: int) -> list[tuple[float, int, list]]:
    """Pick greedily, each fact worth less for every earlier pick that shared it (MMR-style).

    Lazily: values only ever drop, so a popped value is rechecked, and put back if it fell
    below the next one's (stale, hence upper-bound) value.
    """
    heap = [(-sum([w for w, _ in parts]), j, parts) for j, parts in scored]
    heapq.heapify(heap)
    used: dict[tuple, int] = {}
    picked = []
    while heap and len(picked) < limit:
        _, j, parts = heapq.heappop(heap)
        value = sum([w * DIVERSITY ** used.get(token, 0) for w, token in parts])
        if heap and value < -heap[0][0]:
            heapq.heappush(heap, (-value, j, parts))
            continue
        picked.append((sum([w for w, _ in parts]), j, parts))
        for _, token in parts:
            used[token] = used.get(token, 0) + 1
    return picked
