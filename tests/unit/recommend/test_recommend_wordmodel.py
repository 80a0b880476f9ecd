"""The word model beside the embedding classifier, and the ranking that combines them, exactly."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from paperstand.recommend import learn, wordmodel


def test_counts_are_sublinear_counts_of_content_words_and_their_pairs() -> None:
    x = wordmodel.counts(["Graph graph networks, and the graph.", ""])
    assert x.shape == (2, wordmodel.N_FEATURES)
    # "graph" three times, "networks" once; "and", "the" are stop words, dropped before pairing: "graph graph",
    # "graph networks" and "networks graph" once each.
    assert np.allclose(np.sort(x[0].data), [1.0, 1.0, 1.0, 1.0, 1 + math.log(3)])
    assert x[1].nnz == 0
    assert wordmodel.counts([]).shape == (0, wordmodel.N_FEATURES)


def _rows(*rows: dict[int, float]) -> sp.csr_matrix:
    """Sparse rows over the hashed space from ``{column: value}`` dicts."""
    r = [i for i, row in enumerate(rows) for _ in row]
    c = [k for row in rows for k in row]
    v = [row[k] for row in rows for k in row]
    return sp.csr_matrix((np.array(v, np.float32), (np.array(r, int), np.array(c, int))),
                         shape=(len(rows), wordmodel.N_FEATURES))


def test_the_vocabulary_is_the_random_papers_words_with_their_df_and_the_words_liked_papers_share() -> None:
    randoms = _rows({5: 1.0, 9: 2.0}, {9: 1.0}, {})
    positives = _rows({9: 1.0, 40: 1.0, 77: 1.0}, {40: 3.0, 12: 1.0})
    v = wordmodel.vocabulary(positives, randoms)
    # 5 and 9 from the random papers (df 1 and 2 of 3); 40 shared by both liked papers (df 0); 12 and 77 are in
    # one liked paper only.
    assert v.indices.tolist() == [5, 9, 40] and v.df.tolist() == [1, 2, 0] and v.sample == 3
    assert np.allclose(v.idf(), [math.log(4 / 2) + 1, math.log(4 / 3) + 1, math.log(4) + 1])


def test_weigh_multiplies_by_the_idf_drops_unknown_words_and_scales_rows_to_unit_length() -> None:
    v = wordmodel.Vocabulary(np.array([5, 9, 40], np.int32), np.array([1, 2, 0], np.int32), 3)
    idf = v.idf()
    x = v.weigh(_rows({5: 2.0, 9: 1.0, 12: 5.0}, {12: 1.0}, {40: 0.5}))
    first = np.array([2.0 * idf[0], 1.0 * idf[1]])
    assert np.allclose(x[0].toarray()[0, [5, 9]], first / np.linalg.norm(first)) and x[0].nnz == 2
    assert x[1].nnz == 0  # no known word: an empty row
    assert np.allclose(x[2].data, [1.0])
    assert wordmodel.Vocabulary(np.zeros(0, np.int32), np.zeros(0, np.int32), 0).weigh(x).nnz == 0


def test_pack_and_unpack_are_inverse() -> None:
    vocab = wordmodel.Vocabulary(np.array([3, 70, 900, 1 << 19], np.int32), np.array([4, 0, 1, 200], np.int32), 200)
    t = wordmodel.WordTaste(np.array([3, 70, 1 << 19], np.int32), np.array([0.5, -1.25, 2.0], np.float32), -0.75,
                            vocab)
    back = wordmodel.unpack(t.pack())
    assert np.array_equal(back.indices, t.indices) and np.array_equal(back.weights, t.weights)
    assert back.bias == -0.75
    assert back.vocabulary is not None
    assert back.vocabulary.indices.tolist() == [3, 70, 900, 1 << 19]
    assert back.vocabulary.df.tolist() == [4, 0, 1, 200] and back.vocabulary.sample == 200
    # A gap of 2^19 - 900 needs 4 bytes: 3 gaps of 4 bytes, 4 frequencies of 2.
    assert len(t.pack()) == 4 + 3 * 8 + 4 + 16 + 3 * 4 + 4 * 2
    near = wordmodel.WordTaste(t.indices, t.weights, t.bias,
                               wordmodel.Vocabulary(np.array([3, 70, 900], np.int32), np.array([1, 2, 3], np.int32), 9))
    back = wordmodel.unpack(near.pack())
    assert len(near.pack()) == 4 + 3 * 8 + 4 + 16 + 2 * 2 + 3 * 2
    assert back.vocabulary is not None and back.vocabulary.indices.tolist() == [3, 70, 900]
    empty = wordmodel.WordTaste(t.indices, t.weights, t.bias,
                                wordmodel.Vocabulary(np.zeros(0, np.int32), np.zeros(0, np.int32), 0))
    back = wordmodel.unpack(empty.pack())
    assert back.vocabulary is not None and len(back.vocabulary.indices) == 0


def test_a_model_stored_before_the_vocabulary_unpacks_without_one() -> None:
    t = wordmodel.WordTaste(np.array([3, 70], np.int32), np.array([0.5, -1.25], np.float32), -0.75)
    assert len(t.pack()) == 4 + 2 * 8 + 4
    assert wordmodel.unpack(t.pack()).vocabulary is None


def test_score_is_the_dot_product_of_the_weighed_rows_with_the_kept_weights() -> None:
    x = _rows({3: 0.6, 7: 2.0}, {9: 0.8})
    vocab = wordmodel.Vocabulary(np.array([3, 9], np.int32), np.array([0, 0], np.int32), 0)  # idf 1
    t = wordmodel.WordTaste(np.array([3, 5], np.int32), np.array([2.0, 7.0], np.float32), 0.5, vocab)
    # Word 7 is unknown: the first row is word 3 alone, of unit length.
    assert np.allclose(t.score(x), [1.0 * 2.0 + 0.5, 0.5])
    # Without a vocabulary (a model stored before it) the rows are the plain counts of unit length.
    legacy = wordmodel.WordTaste(t.indices, t.weights, t.bias)
    assert np.allclose(legacy.score(x), [0.6 / math.hypot(0.6, 2.0) * 2.0 + 0.5, 0.5])


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
    t = wordmodel.train(wordmodel.counts(liked), wordmodel.counts([]), wordmodel.counts(others),
                        explicit_weight=3.0, keep=5)
    assert len(t.indices) == 5 and np.all(np.diff(t.indices) > 0)
    assert t.vocabulary is not None and t.vocabulary.sample == len(others)
    assert set(t.indices.tolist()) <= set(t.vocabulary.indices.tolist())
    scores = t.score(wordmodel.counts(["Robot grasping with tactile sensing", "Language models and law"]))
    assert scores[0] > 0 > scores[1]


def _taste(words: wordmodel.WordTaste | None) -> learn.Taste:
    return learn.Taste("classifier", np.array([1.0, 0.0], np.float32), 0.0, 5, 0, words)


def test_rank_without_words_is_the_embedding_and_category_order_newer_first_among_equals() -> None:
    vectors = np.array([[0.1, 0], [0.5, 0], [0.1, 0], [0.3, 0]], np.float32)
    affinity = np.array([0.0, 0.0, 0.0, 1.0], np.float32)
    order, scores = learn.rank(_taste(None), vectors, affinity, np.array([10, 11, 12, 13]),
                               lambda rows: wordmodel.counts([]))
    assert order.tolist() == [3, 1, 2, 0]
    assert np.allclose(scores, [0.1, 0.5, 0.1, 0.3 + learn.CATEGORY_WEIGHT])


def test_rank_rescores_the_shortlist_with_the_words(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(learn, "SHORTLIST", 2)
    monkeypatch.setattr(learn, "CATEGORY_WEIGHT", 0.0)
    liked = wordmodel.counts(["tactile grasping"])
    words = wordmodel.WordTaste(np.sort(liked.indices).astype(np.int32), np.ones(liked.nnz, np.float32), 0.0)
    vectors = np.array([[0.9, 0], [0.8, 0], [0.7, 0]], np.float32)
    texts = ["language models", "tactile grasping", "tactile grasping"]
    asked: list[list[int]] = []

    def words_of(rows: np.ndarray) -> sp.csr_matrix:
        asked.append(rows.tolist())
        return wordmodel.counts([texts[r] for r in rows])

    order, scores = learn.rank(_taste(words), vectors, np.zeros(3, np.float32), np.arange(3), words_of)
    # Only the two best by embedding are read; the words lift row 1 above row 0; row 2 stays after them even
    # though its words would have lifted it too.
    assert asked == [[0, 1]]
    assert order.tolist() == [1, 0, 2]
    assert np.isclose(scores[1], 0.8 + learn.WORD_WEIGHT * float(words.score(liked)[0]))
    assert np.isclose(scores[2], 0.7)
