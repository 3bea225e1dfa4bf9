"""Who overlaps with one person: summed weights of the lists they share, in bounded work.

A list is everyone holding one fact ("lived in Watson Hall", "class of 2009", "can help with
fundraising"). A person's query names lists with a weight and a channel (matching keeps shared
facts, help they would get and help they would give apart). Lists of at most `rare` people are
read in full; longer ones only inside a window of `width` places around the person, the same
window for every list, so the sums inside it are exact and the work per person stays the same
however big the event grows. Every list lives in one sorted array of `list * n + person`, so
numpy finds the window in all of a person's lists with one searchsorted: the per-person cost is
a few dozen array calls instead of a Python loop over every shared posting.
"""

from itertools import chain

import numpy as np

CHANNELS = 3


class Overlap:
    """An inverted index over n people's lists, and their queries into it."""

    def __init__(self, n: int, lists: list[list[int]], queries: list[list[tuple]], rare: int):
        """Index lists (people sorted by position) and queries: [(list, weight, channel)]."""
        sizes = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        self.n, self.end = n, np.cumsum(sizes)
        self.start = self.end - sizes
        self.people = np.fromiter(chain.from_iterable(lists), np.int64, int(sizes.sum()))
        self.keys = np.repeat(np.arange(len(lists), dtype=np.int64), sizes) * n + self.people
        self.rare = sizes <= rare
        flat = list(chain.from_iterable(queries))
        self.q_list = np.array([q[0] for q in flat], dtype=np.int64)
        self.q_weight = np.array([q[1] for q in flat], dtype=np.float64)
        self.q_channel = np.array([q[2] for q in flat], dtype=np.int64)
        self.q_at = [0, *np.cumsum([len(q) for q in queries]).tolist()]

    def sweep(self, i: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Everyone sharing a list with person i (sorted, i included) and sums per channel."""
        at = slice(self.q_at[i], self.q_at[i + 1])
        lists, weight, channel = self.q_list[at], self.q_weight[at], self.q_channel[at]
        first, last = self.start[lists], self.end[lists]
        if width < self.n:
            first, last, weight, channel = self._window(i, width, lists, weight, channel)
        lengths = last - first
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        positions = np.repeat(first - ends + lengths, lengths) + np.arange(total)
        people, where = np.unique(self.people[positions], return_inverse=True)
        slots = np.repeat(channel, lengths) * len(people) + where
        sums = np.bincount(slots, np.repeat(weight, lengths), CHANNELS * len(people))
        return people, sums.reshape(CHANNELS, len(people))

    def _window(self, i, width, lists, weight, channel):
        """Where my window falls in each list (rare lists whole); a wrapped window adds a part."""
        half, rare, base = width // 2, self.rare[lists], lists * self.n
        lo, hi = i - half, i + half + 1
        first = np.where(rare, self.start[lists], self.keys.searchsorted(base + max(lo, 0)))
        last = np.where(rare, self.end[lists], self.keys.searchsorted(base + min(hi, self.n)))
        if lo >= 0 and hi <= self.n:
            return first, last, weight, channel
        lo, hi = (lo + self.n, self.n) if lo < 0 else (0, hi - self.n)
        more_first = self.keys.searchsorted(base + lo)
        more_last = np.where(rare, more_first, self.keys.searchsorted(base + hi))
        return (
            np.concatenate((first, more_first)),
            np.concatenate((last, more_last)),
            np.concatenate((weight, weight)),
            np.concatenate((channel, channel)),
        )
