"""The word model beside the embedding classifier, and the ranking that combines them, exactly."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from paperstand.recommend import learn, wordmodel


def test_features_are_sublinear_counts_of_content_words_of_unit_length() -> None:
    x = wordmodel.features(["Graph graph networks, and the graph.", ""])
    assert x.shape == (2, wordmodel.N_FEATURES)
    row = np.sort(x[0].data)
    # "graph" three times, "networks" once; "and", "the" are stop words.
    expected = np.sort(np.array([1 + math.log(3), 1.0]) / math.hypot(1 + math.log(3), 1.0))
    assert np.allclose(row, expected)
    assert x[1].nnz == 0
    assert wordmodel.features([]).shape == (0, wordmodel.N_FEATURES)


def test_pack_and_unpack_are_inverse() -> None:
    t = wordmodel.WordTaste(np.array([3, 70, 1 << 19], np.int32), np.array([0.5, -1.25, 2.0], np.float32), -0.75)
    back = wordmodel.unpack(t.pack())
    assert np.array_equal(back.indices, t.indices) and np.array_equal(back.weights, t.weights)
    assert back.bias == -0.75
    assert len(t.pack()) == 4 + 3 * 8 + 4


def test_score_is_the_dot_product_with_the_kept_weights() -> None:
    x = sp.csr_matrix((np.array([0.6, 0.8], np.float32), (np.array([0, 1]), np.array([3, 9]))),
                      shape=(2, wordmodel.N_FEATURES))
    t = wordmodel.WordTaste(np.array([3, 5], np.int32), np.array([2.0, 7.0], np.float32), 0.5)
    assert np.allclose(t.score(x), [0.6 * 2.0 + 0.5, 0.5])


def test_sparse_logistic_regression_reaches_the_optimum() -> None:
    rng = np.random.default_rng(4)
    dense = np.where(rng.random((120, 30)) < 0.2, rng.random((120, 30)), 0.0)
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-9)
    y = (dense[:, 0] + dense[:, 1] > 0.3).astype(float)
    x = sp.csr_matrix(dense)
    columns, w, b = wordmodel.sparse_logistic_regression(x, y, np.ones(120), l2=0.01, steps=2000)
    full = np.zeros(30)
    full[columns] = w
    p = 1 / (1 + np.exp(-(dense @ full + b)))
    grad_w = dense.T @ ((p - y) / 120) + 0.01 * full
    assert np.abs(grad_w).max() < 1e-6 and abs(float(np.sum((p - y) / 120))) < 1e-6
    assert set(columns.tolist()) == set(np.flatnonzero(np.abs(dense).sum(axis=0) > 0).tolist())


def test_the_word_model_keeps_the_heaviest_words_and_ranks_their_papers_first() -> None:
    liked = [f"Tactile sensing for robot grasping, paper {i}" for i in range(6)]
    others = [f"Language models answer questions about {w}" for w in ("law", "medicine", "maths", "code")] * 10
    t = wordmodel.train(wordmodel.features(liked), wordmodel.features([]), wordmodel.features(others),
                        explicit_weight=3.0, keep=5)
    assert len(t.indices) == 5 and np.all(np.diff(t.indices) > 0)
    scores = t.score(wordmodel.features(["Robot grasping with tactile sensing", "Language models and law"]))
    assert scores[0] > 0 > scores[1]


def _taste(words: wordmodel.WordTaste | None) -> learn.Taste:
    return learn.Taste("classifier", np.array([1.0, 0.0], np.float32), 0.0, 5, 0, words)


def test_rank_without_words_is_the_embedding_and_category_order_newer_first_among_equals() -> None:
    vectors = np.array([[0.1, 0], [0.5, 0], [0.1, 0], [0.3, 0]], np.float32)
    affinity = np.array([0.0, 0.0, 0.0, 1.0], np.float32)
    order, scores = learn.rank(_taste(None), vectors, affinity, np.array([10, 11, 12, 13]), lambda rows: [])
    assert order.tolist() == [3, 1, 2, 0]
    assert np.allclose(scores, [0.1, 0.5, 0.1, 0.3 + learn.CATEGORY_WEIGHT])


def test_rank_rescores_the_shortlist_with_the_words(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(learn, "SHORTLIST", 2)
    monkeypatch.setattr(learn, "CATEGORY_WEIGHT", 0.0)
    liked = wordmodel.features(["tactile grasping"])
    words = wordmodel.WordTaste(np.sort(liked.indices).astype(np.int32), np.ones(liked.nnz, np.float32), 0.0)
    vectors = np.array([[0.9, 0], [0.8, 0], [0.7, 0]], np.float32)
    texts = ["language models", "tactile grasping", "tactile grasping"]
    asked: list[list[int]] = []

    def texts_of(rows: np.ndarray) -> list[str]:
        asked.append(rows.tolist())
        return [texts[r] for r in rows]

    order, scores = learn.rank(_taste(words), vectors, np.zeros(3, np.float32), np.arange(3), texts_of)
    # Only the two best by embedding are read; the words lift row 1 above row 0; row 2 stays after them even
    # though its words would have lifted it too.
    assert asked == [[0, 1]]
    assert order.tolist() == [1, 0, 2]
    assert np.isclose(scores[1], 0.8 + learn.WORD_WEIGHT * float(words.score(liked)[0]))
    assert np.isclose(scores[2], 0.7)
