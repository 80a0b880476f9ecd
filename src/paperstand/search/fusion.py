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
# queries of bench/search_dev_set.jsonl (tune slice, 90 queries over 23,730 real papers; see
# docs/PERFORMANCE.md): k in {2, 3, 5} with equal weights is a plateau (recall@10 0.944-0.956, MRR@10
# 0.709-0.721), k = 60 falls to MRR@10 0.62, and the earlier 2:1 keyword weighting (tuned on titles
# typed as queries) loses 0.06 MRR@10: paraphrases are the semantic engine's strength.
RRF_K = 5
# How much each list counts: equally. Keyword search is the stronger engine when the words are the
# paper's own (titles, terms, names) and still ranks those first (a title finds its paper at rank 1 with
# either weighting); semantic search rescues paraphrases and questions that share few words with the paper.
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
