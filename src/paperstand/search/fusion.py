"""Hybrid ranking: reciprocal rank fusion of the keyword and semantic result lists. Pure.

RRF (Cormack, Clarke and Büttcher, SIGIR 2009) scores each paper by the sum, over the lists it appears
in, of ``weight / (RRF_K + rank)`` with ranks counted from 1. It needs no score calibration between
BM25 and cosine similarity, which live on unrelated scales, and a paper both engines rank well beats
one only a single engine likes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The damping constant of the original paper: larger values flatten the difference between top ranks.
RRF_K = 60
# How much each list counts. Semantic search is the stronger single engine on paraphrased questions and
# keyword search on exact terms, names and rare words; measured on title→abstract retrieval
# (bench/search_quality.py) the fused list beats both with these values.
KEYWORD_WEIGHT = 1.0
SEMANTIC_WEIGHT = 1.0
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


def hybrid(keyword: Sequence[int], semantic: Sequence[int]) -> list[Fused]:
    """The default hybrid ranking with the named weights."""
    return reciprocal_rank_fusion([keyword, semantic], [KEYWORD_WEIGHT, SEMANTIC_WEIGHT])
