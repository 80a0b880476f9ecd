"""Hybrid ranking: reciprocal rank fusion of the keyword and semantic result lists. Pure.

RRF (Cormack, Clarke and Büttcher, SIGIR 2009) scores each paper by the sum, over the lists it appears
in, of ``weight / (RRF_K + rank)`` with ranks counted from 1. It needs no score calibration between
BM25 and cosine similarity, which live on unrelated scales, and a paper both engines rank well beats
one only a single engine likes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The damping constant: larger values flatten the difference between top ranks (the original paper
# used 60). Ours is small, so a list's first few places count most. Measured on the half-remembered
# queries of bench/search_dev_set.jsonl (tune slice, 90 queries over 23,730 real papers) and on titles
# typed as queries (300 titles over 3,000 abstracts); see docs/PERFORMANCE.md.
RRF_K = 3
# How much each list counts. Semantic search rescues descriptions and questions in other words than the
# paper's, and there both lists count the same: a fixed 2:1 keyword weighting lost 0.055 MRR@10 on the
# half-remembered queries. Keyword search is the stronger engine when the words single one paper out (its
# title, a name, a rare term), and there it counts double: equal weights lost 0.018 MRR@10 on titles.
KEYWORD_WEIGHT = 1.0
SEMANTIC_WEIGHT = 1.0
KEYWORD_WEIGHT_CLEAR = 2.0
# The words single one paper out when the keyword engine's best score is at least this many times its
# second best (or it found one paper only). A title typed as the query: median ratio 2.0, a quarter under
# 1.54; a half-remembered description: median 1.10, nine in ten under 1.49.
CLEAR_WINNER_RATIO = 1.3
# How many results each engine contributes before fusion (deeper lists add little but latency).
FUSION_DEPTH = 100


@dataclass(frozen=True)
class Fused:
    """A paper's fused score and its 1-based rank in each input list (``None`` when absent)."""

    paper_id: int
    score: float
    ranks: tuple[int | None, ...]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None, *,
                           k: int = RRF_K) -> list[Fused]:
    """Fuse ranked lists of paper ids (best first) into one, best first.

    Ties are broken by the best single rank, then by the paper id, so the order is deterministic.
    A paper listed twice in one ranking counts at its first (best) position only.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[int, float] = {}
    ranks: dict[int, list[int | None]] = {}
    for list_no, (ranking, weight) in enumerate(zip(rankings, weights, strict=True)):
        seen: set[int] = set()
        for position, paper_id in enumerate(ranking, start=1):
            if paper_id in seen:
                continue
            seen.add(paper_id)
            scores[paper_id] = scores.get(paper_id, 0.0) + weight / (k + position)
            ranks.setdefault(paper_id, [None] * len(rankings))[list_no] = position
    fused = [Fused(pid, score, tuple(ranks[pid])) for pid, score in scores.items()]
    fused.sort(key=lambda f: (-f.score, min(r for r in f.ranks if r is not None), f.paper_id))
    return fused


def keyword_weight(scores: Sequence[float]) -> float:
    """The keyword list's weight, from its scores (best first): doubled when its first paper clearly leads."""
    if not scores:
        return KEYWORD_WEIGHT
    if len(scores) == 1 or scores[1] <= 0 or scores[0] >= CLEAR_WINNER_RATIO * scores[1]:
        return KEYWORD_WEIGHT_CLEAR
    return KEYWORD_WEIGHT


def hybrid(keyword: Sequence[int], semantic: Sequence[int], keyword_scores: Sequence[float] = ()) -> list[Fused]:
    """The default hybrid ranking with the named weights; ``keyword_scores`` (best first) set the keyword weight."""
    return reciprocal_rank_fusion([keyword, semantic], [keyword_weight(keyword_scores), SEMANTIC_WEIGHT])
