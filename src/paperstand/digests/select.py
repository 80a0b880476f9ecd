"""Digest selection: for one subscriber and one period, which featured papers, in which order, and why.

Pure: it takes the period's candidates and the subscriber's topics, touches no database or clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

# Papers ranked this high in the whole period say so, whatever else matched.
TOP_N = 3


@dataclass(frozen=True)
class Candidate:
    """A paper featured in the period, with what ranking and matching need."""

    paper_id: int
    title: str
    abstract: str
    categories: tuple[str, ...]
    upvotes: int
    day: date
    position: int
    # The stored trending score (ranking/), when the paper has one: the same order as /papers/trending.
    trending: float | None = None


@dataclass(frozen=True)
class Topics:
    """What a subscriber asked for; both empty means "everything featured"."""

    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestItem:
    """One paper of a digest and the reasons it is there, strongest first."""

    candidate: Candidate
    reasons: tuple[str, ...]


def rank_key(c: Candidate) -> tuple[bool, float, int, int, int, int]:
    """The ranking: the highest trending score first (papers without one after them), then the most
    upvoted, then the newer day, then the curated order."""
    return (c.trending is None, -(c.trending or 0.0), -c.upvotes, -c.day.toordinal(), c.position, c.paper_id)


def category_matches(wanted: str, categories: Sequence[str]) -> str | None:
    """The paper category a topic matches: exact ("cs.CL"), or a whole archive ("cs" ⊃ "cs.CL")."""
    for cat in categories:
        if cat == wanted or ("." not in wanted and cat.split(".", 1)[0] == wanted):
            return cat
    return None


def keyword_matches(keyword: str, c: Candidate) -> bool:
    """Whole-word, case-insensitive match in the title or abstract ("graph" does not match "paragraph")."""
    pattern = r"(?<!\w)" + re.escape(keyword.strip()) + r"(?!\w)"
    return bool(keyword.strip()) and re.search(pattern, f"{c.title}\n{c.abstract}", re.IGNORECASE) is not None


def select_digest(candidates: Sequence[Candidate], topics: Topics, limit: int, period_word: str) -> list[DigestItem]:
    """The digest: matching papers in ranking order, at most ``limit``, each with its reasons.

    ``period_word`` names the period in reasons: "today" or "this week".
    """
    return Selector(candidates).select(topics, limit, period_word)


class Selector:
    """:func:`select_digest` for many subscribers over the same candidates.

    The ranking, the top papers and each topic's matches are worked out once, the first time they are
    needed, instead of once per subscriber: a send run asks about the same few hundred papers for every
    subscriber, with thousands of different combinations of the same few dozen topics.
    """

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.ranked = sorted(candidates, key=rank_key)
        self.top = {c.paper_id for c in self.ranked[:TOP_N]}
        self._categories: dict[str, dict[int, str]] = {}  # wanted → {paper id: the category it matched}
        self._keywords: dict[str, frozenset[int]] = {}  # keyword → papers it matches

    def _category(self, wanted: str) -> dict[int, str]:
        found = self._categories.get(wanted)
        if found is None:
            found = self._categories[wanted] = {
                c.paper_id: cat for c in self.ranked if (cat := category_matches(wanted, c.categories))}
        return found

    def _keyword(self, keyword: str) -> frozenset[int]:
        found = self._keywords.get(keyword)
        if found is None:
            found = self._keywords[keyword] = frozenset(c.paper_id for c in self.ranked if keyword_matches(keyword, c))
        return found

    def select(self, topics: Topics, limit: int, period_word: str) -> list[DigestItem]:
        """The digest for these topics (see :func:`select_digest`)."""
        categories = [self._category(wanted) for wanted in topics.categories]
        keywords = [(f"matched “{kw.strip()}”", self._keyword(kw)) for kw in topics.keywords]
        filtered = bool(topics.categories or topics.keywords)
        items: list[DigestItem] = []
        for c in self.ranked:
            pid = c.paper_id
            reasons = [f"matched {m[pid]}" for m in categories if pid in m]
            reasons += [reason for reason, ids in keywords if pid in ids]
            if filtered and not reasons:
                continue
            if pid in self.top:
                reasons.insert(0, f"top {TOP_N} {period_word}")
            items.append(DigestItem(c, tuple(dict.fromkeys(reasons)) or (f"featured {period_word}",)))
            if len(items) >= limit:
                break
        return items
