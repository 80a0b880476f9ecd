"""Reciprocal rank fusion: exact scores, tie-breaking, weights, duplicates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperstand.search.fusion import (
    CLEAR_WINNER_RATIO,
    KEYWORD_WEIGHT,
    KEYWORD_WEIGHT_CLEAR,
    RRF_K,
    SEMANTIC_WEIGHT,
    Fused,
    hybrid,
    keyword_weight,
    reciprocal_rank_fusion,
)


def test_exact_scores_with_k_60() -> None:
    fused = reciprocal_rank_fusion([[10, 20, 30], [20, 40]], k=60)
    assert [f.paper_id for f in fused] == [20, 10, 40, 30]
    by_id = {f.paper_id: f for f in fused}
    assert by_id[20].score == pytest.approx(1 / 62 + 1 / 61)
    assert by_id[10].score == pytest.approx(1 / 61)
    assert by_id[40].score == pytest.approx(1 / 62)
    assert by_id[30].score == pytest.approx(1 / 63)
    assert by_id[20].ranks == (2, 1) and by_id[30].ranks == (3, None) and by_id[40].ranks == (None, 2)


def test_ties_break_on_best_single_rank_then_id() -> None:
    # 1 and 2 both score 1/61 + 1/62 and both have a best rank of 1: the lower id wins.
    fused = reciprocal_rank_fusion([[1, 2], [2, 1]], k=60)
    assert fused[0].score == fused[1].score
    assert [f.paper_id for f in fused] == [1, 2]
    fused = reciprocal_rank_fusion([[7], [5]], k=60)
    assert [f.paper_id for f in fused] == [5, 7]  # same score, same best rank: lower id first


def test_weights_and_k() -> None:
    fused = reciprocal_rank_fusion([[1], [2]], [1.0, 2.0], k=0)
    assert [(f.paper_id, f.score) for f in fused] == [(2, 2.0), (1, 1.0)]
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[1]], [1.0, 2.0])


def test_a_repeated_id_counts_once_at_its_best_position() -> None:
    assert reciprocal_rank_fusion([[3, 3, 4]], k=60)[0] == Fused(3, 1 / 61, (1,))
    assert reciprocal_rank_fusion([[3, 3, 4]], k=60)[1].ranks == (3,)


def test_hybrid_uses_the_named_constants() -> None:
    assert (RRF_K, KEYWORD_WEIGHT, SEMANTIC_WEIGHT, KEYWORD_WEIGHT_CLEAR, CLEAR_WINNER_RATIO) == (3, 1.0, 1.0, 2.0, 1.3)
    # keyword [1, 2, 3], semantic [3, 2, 4], no clear keyword winner (scores 5, 4.5, 4: ratio 1.11), equal weights:
    # 3 = 1/6 + 1/4 = 0.4167; 2 = 1/5 + 1/5 = 0.4; 1 = 1/4 = 0.25; 4 = 1/6 = 0.1667.
    fused = hybrid([1, 2, 3], [3, 2, 4], [5.0, 4.5, 4.0])
    assert [f.paper_id for f in fused] == [3, 2, 1, 4]
    assert [round(f.score, 4) for f in fused] == [0.4167, 0.4, 0.25, 0.1667]
    # A clear keyword winner (10 against 4.5) counts double: 1 = 2/4 = 0.5; 3 = 2/6 + 1/4 = 0.5833; 2 = 2/5 + 1/5 = 0.6.
    clear = hybrid([1, 2, 3], [3, 2, 4], [10.0, 4.5, 4.0])
    assert [(f.paper_id, round(f.score, 4)) for f in clear][:3] == [(2, 0.6), (3, 0.5833), (1, 0.5)]
    # Equal weights: a keyword-only first hit ties a semantic-only first hit; the lower id wins.
    tie = hybrid([10, 11], [9, 12], [3.0, 2.9])
    assert tie[0].score == tie[1].score and [f.paper_id for f in tie] == [9, 10, 11, 12]
    assert hybrid([], []) == []
    assert [f.paper_id for f in hybrid([9], [])] == [9]


def test_keyword_weight_doubles_for_a_clear_winner() -> None:
    assert keyword_weight([]) == 1.0  # no scores given: the plain weight
    assert keyword_weight([3.0]) == 2.0  # the only match
    assert keyword_weight([13.0, 10.0]) == 2.0  # exactly 1.3 times the second
    assert keyword_weight([12.9, 10.0]) == 1.0
    assert keyword_weight([1.0, 0.0]) == 2.0


@given(st.lists(st.lists(st.integers(0, 50), max_size=30), min_size=1, max_size=4))
def test_every_input_id_appears_once_and_scores_descend(rankings: list[list[int]]) -> None:
    fused = reciprocal_rank_fusion(rankings)
    ids = [f.paper_id for f in fused]
    assert sorted(ids) == sorted({i for r in rankings for i in r})
    assert all(a.score >= b.score for a, b in zip(fused, fused[1:], strict=False))
