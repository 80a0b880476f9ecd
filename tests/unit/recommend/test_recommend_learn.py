"""The taste model's formulas and the reason words, exactly."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from paperstand.recommend import learn, words
from paperstand.recommend.explain import close_reason, kinds_of, verb_of
from paperstand.recommend.signals import Signal, labels


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_centroid_is_the_unit_mean_pushed_from_dislikes() -> None:
    pos = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float32)
    neg = np.array([[0, 1, 0]], dtype=np.float32)
    t = learn.centroid(pos, neg)
    expected = np.array([0.5, 0.5 - learn.CENTROID_NEGATIVE_PULL, 0.0])
    assert t.kind == "centroid" and t.bias == 0.0
    assert np.allclose(t.weights, expected / np.linalg.norm(expected))
    assert np.allclose(t.score(np.eye(3, dtype=np.float32)), t.weights)


def test_below_the_threshold_the_model_is_a_centroid_from_it_a_classifier() -> None:
    rng = np.random.default_rng(1)
    randoms = _unit(rng.standard_normal((50, 8)))
    few = _unit(rng.standard_normal((learn.CLASSIFIER_MIN_POSITIVES - 1, 8)))
    assert learn.train(few, np.zeros((0, 8), np.float32), randoms).kind == "centroid"
    enough = _unit(rng.standard_normal((learn.CLASSIFIER_MIN_POSITIVES, 8)))
    assert learn.train(enough, np.zeros((0, 8), np.float32), randoms).kind == "classifier"


def test_logistic_regression_reaches_the_optimum() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((200, 5))
    y = (x[:, 0] + 0.5 * rng.standard_normal(200) > 0).astype(float)
    w, b = learn.logistic_regression(x, y, np.ones(200), l2=0.01, steps=600)
    # The gradient of the penalised, weighted log-loss vanishes at the returned point.
    p = 1 / (1 + np.exp(-(x @ w + b)))
    grad_w = x.T @ ((p - y) / 200) + 0.01 * w
    grad_b = float(np.sum((p - y) / 200))
    assert np.abs(grad_w).max() < 1e-5 and abs(grad_b) < 1e-5
    assert w[0] > 1.0 and np.abs(w[1:]).max() < 0.5 * w[0]


def test_classifier_ranks_the_liked_direction_first() -> None:
    rng = np.random.default_rng(3)
    topic = _unit(rng.standard_normal((1, 16)))[0]
    liked = _unit(topic + 0.1 * rng.standard_normal((8, 16)))
    randoms = _unit(rng.standard_normal((200, 16)))
    taste = learn.train(liked, np.zeros((0, 16), np.float32), randoms)
    fresh_on_topic = _unit(topic + 0.1 * rng.standard_normal((5, 16)))
    fresh_random = _unit(rng.standard_normal((50, 16)))
    assert taste.score(fresh_on_topic).min() > np.sort(taste.score(fresh_random))[-5]


def test_fingerprint_ignores_order_and_tracks_labels() -> None:
    a = learn.fingerprint([(1, 1), (2, -1)])
    assert a == learn.fingerprint([(2, -1), (1, 1)]) and len(a) == 32
    assert a != learn.fingerprint([(1, 1), (2, 1)]) and a != learn.fingerprint([(1, 1)])


def test_an_explicit_rating_wins_over_an_upvote_or_save() -> None:
    at = datetime(2026, 5, 1, tzinfo=UTC)
    signals = [Signal(1, 1, "upvote", at), Signal(1, -1, "dislike", at), Signal(2, 1, "save", at),
               Signal(3, -1, "dislike", at), Signal(3, 1, "save", at)]
    assert labels(signals) == {1: -1, 2: 1, 3: -1}
    assert kinds_of(signals) == {1: "upvote", 2: "save", 3: "save"}
    assert verb_of([2, 3], {2: "save", 3: "save"}) == "saved" and verb_of([1, 2], {1: "upvote", 2: "save"}) == "liked"


def test_close_reason_names_the_close_papers_or_the_nearest() -> None:
    titles = {10: "Alpha", 11: "Beta", 12: "Gamma"}
    kinds = {10: "save", 11: "save", 12: "upvote"}
    sims = np.array([0.2, 0.9, 0.6])
    assert close_reason(sims, [10, 11, 12], titles, kinds) == "Close to 2 papers you liked: “Beta”, “Gamma”"
    assert close_reason(np.array([0.1, 0.3, 0.2]), [10, 11, 12], titles, kinds) == (
        "Nearest to “Beta”, which you saved")


def test_idf_and_shared_words() -> None:
    assert words.idf("x", Counter({"x": 1}), 3) == pytest.approx(math.log(4 / 2) + 1)
    assert words.tokens("We propose a Lattice-based KEM; the lattice is 2x") == ["lattice-based", "kem", "lattice"]
    df = Counter({"lattice": 2, "kem": 1, "attack": 3})
    profile = Counter({"lattice": 3, "attack": 1})
    doc = ["lattice", "attack", "attack", "kem"]
    # lattice: 1·3·idf(2)², attack: 2·1·idf(3)²; kem is not in the profile.
    assert words.shared_words(doc, profile, df, 4) == ["lattice", "attack"]


def test_category_affinity_weighs_liked_share_by_rarity() -> None:
    liked = [["cs.RO", "cs.AI"], ["cs.RO"], ["cs.AI"], ["cs.RO", "cs.AI"]]
    cands = [["cs.RO"], ["cs.AI"], ["cs.AI"], ["cs.AI"], ["math.CO"]]
    got = learn.category_affinity(liked, cands)
    # cs.RO: 3/4 of the liked papers, 1 of 5 candidates; cs.AI: 3/4, 3 of 5; math.CO: never liked.
    assert got.tolist() == pytest.approx([0.75 * math.log(5), 0.75 * math.log(5 / 3), 0.75 * math.log(5 / 3),
                                          0.75 * math.log(5 / 3), 0.0])
    assert learn.category_affinity([], cands).tolist() == [0.0] * 5
