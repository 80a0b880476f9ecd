"""A member's taste as linear models over paper embeddings (a logistic regression or a centroid) and words.

As arxiv-sanity-lite does per tag (tf-idf features, a linear SVM, the tag's papers against all others), a
member's liked papers are the positives, and their 👎 plus a sample of random papers the negatives; the
features here are the stored MiniLM vectors (unit length, 384-d), so a paper's score is ``vector · w + b``.
Beside that classifier, ``wordmodel`` learns the same papers' words, and ``rank`` adds both to the category
affinity.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from paperstand.recommend import wordmodel
from paperstand.search import terms

# Below this many positive signals the member's model is the centroid of what they liked. With 1–4 points in
# 384 dimensions against a hundred random papers, any hyperplane separates them perfectly, and the fitted
# direction is set by the regulariser and by which random papers happened to be drawn: noisier than the plain
# mean, which is what the regularised fit tends to anyway. From 5 on the classifier also learns which
# directions the 👎 and the random papers rule out (bench/recommend_quality.py compares both).
CLASSIFIER_MIN_POSITIVES = 5
# Random papers drawn as negatives for the classifier: "everything else" in arxiv-sanity-lite, a sample here so
# that a retrain reads a few hundred vectors, not the whole table.
RANDOM_NEGATIVES = 200
# Weight of an explicit 👎 against a random negative: the member said so, a random paper is only probably
# uninteresting.
EXPLICIT_NEGATIVE_WEIGHT = 3.0
# L2 penalty on the weights (the C of a linear SVM is about 1 / (n · L2)). Chosen on the quality bench: strong
# enough that 5–50 positives do not overfit, weak enough that the model is sharper than the centroid.
L2 = 0.05
# Accelerated gradient steps: with unit vectors and L2 = 0.05 the condition number is about 11, and 50 steps
# reach the optimum's weights to 1e-8 (measured on 50 liked papers against 200 random ones).
GRADIENT_STEPS = 60
# In the centroid, how far a 👎 pushes the direction away (a fraction of the positives' mean).
CENTROID_NEGATIVE_PULL = 0.5
# Bump when the recipe changes: every stored model's fingerprint changes and the worker retrains everyone.
RECIPE = f"lr-v4-idf-{terms.VERSION}"


@dataclass(frozen=True)
class Taste:
    """A trained linear model: ``score(x) = x · weights + bias``."""

    kind: str  # "classifier" or "centroid"
    weights: np.ndarray
    bias: float
    positives: int
    negatives: int
    # The word model beside the classifier (``None`` for a centroid, or a model stored before it existed).
    words: wordmodel.WordTaste | None = None

    def score(self, vectors: np.ndarray) -> np.ndarray:
        """The score of each row of ``vectors`` (higher: closer to the member's taste)."""
        if vectors.size == 0:
            return np.zeros(len(vectors), dtype=np.float32)
        return np.asarray(vectors @ self.weights + self.bias, dtype=np.float32)


def fingerprint(signals: Iterable[tuple[int, int]], extra: str = "") -> str:
    """A hash of ``(paper_id, label)`` pairs (order does not matter) and the recipe: 32 hex digits."""
    text = ";".join(f"{pid}:{label}" for pid, label in sorted(set(signals)))
    return hashlib.sha256(f"{RECIPE}|{extra}|{text}".encode()).hexdigest()[:32]


def centroid(positives: np.ndarray, negatives: np.ndarray) -> Taste:
    """The mean liked direction, pushed away from the mean 👎, unit length; the score is a cosine-like value."""
    direction = positives.mean(axis=0)
    if len(negatives):
        direction = direction - CENTROID_NEGATIVE_PULL * negatives.mean(axis=0)
    norm = float(np.linalg.norm(direction))
    weights = (direction / norm if norm > 0 else direction).astype(np.float32)
    return Taste("centroid", weights, 0.0, len(positives), len(negatives))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free form


def logistic_regression(x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray, l2: float = L2,
                        steps: int = GRADIENT_STEPS) -> tuple[np.ndarray, float]:
    """Weighted, L2-penalised (bias unpenalised) logistic regression by Nesterov's accelerated gradient: ``(w, b)``.

    The loss is ``Σ sᵢ·logloss(xᵢ·w + b, yᵢ) + l2/2·|w|²`` with the weights ``s`` summing to one. Its gradient is
    Lipschitz with ``L ≤ max|xᵢ, 1|²/4 + l2`` and it is ``l2``-strongly convex in ``w``, so a fixed step ``1/L``
    and momentum ``(√κ−1)/(√κ+1)``, ``κ = L/l2``, converge fast and need no line search: each step is two
    matrix-vector products, a Newton step would build and solve a 385×385 system.
    """
    n, dim = x.shape
    xb = np.hstack([x.astype(np.float64), np.ones((n, 1))])
    sw = sample_weight / sample_weight.sum()
    penalty = np.full(dim + 1, l2)
    penalty[-1] = 0.0
    lipschitz = float((xb * xb).sum(axis=1).max()) / 4 + l2
    kappa = lipschitz / l2
    momentum = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    theta = np.zeros(dim + 1)
    ahead = theta.copy()
    for _ in range(steps):
        grad = xb.T @ (sw * (_sigmoid(xb @ ahead) - y)) + penalty * ahead
        nxt = ahead - grad / lipschitz
        ahead = nxt + momentum * (nxt - theta)
        theta = nxt
    return theta[:-1].astype(np.float32), float(theta[-1])


def train(positives: np.ndarray, negatives: np.ndarray, randoms: np.ndarray,
          words: tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix] | None = None) -> Taste:
    """The member's model: a centroid below CLASSIFIER_MIN_POSITIVES liked papers, else a classifier.

    With ``words`` (``wordmodel.counts`` of the same liked, 👎 and random papers, in order) the classifier has
    a word model beside it (``wordmodel.train``).
    """
    if len(positives) < CLASSIFIER_MIN_POSITIVES or len(negatives) + len(randoms) == 0:
        return centroid(positives, negatives)
    x = np.vstack([positives, negatives, randoms])
    y = np.concatenate([np.ones(len(positives)), np.zeros(len(negatives) + len(randoms))])
    # Classes balanced (as class_weight="balanced" does), explicit 👎 weighing more than random papers.
    neg_w = np.concatenate([np.full(len(negatives), EXPLICIT_NEGATIVE_WEIGHT), np.ones(len(randoms))])
    pos_w = np.full(len(positives), neg_w.sum() / len(positives))
    weights, bias = logistic_regression(x, y, np.concatenate([pos_w, neg_w]))
    word_taste = None if words is None else wordmodel.train(*words, explicit_weight=EXPLICIT_NEGATIVE_WEIGHT)
    return Taste("classifier", weights, bias, len(positives), len(negatives), word_taste)


# How much the category affinity (below) adds to a model's score per unit of affinity. The embeddings know
# topics but not arXiv's labels, and a member who likes cs.RO papers mostly wants cs.RO. Chosen on
# bench/recommend_quality.py together with WORD_WEIGHT: beside the word model 0.2 no longer holds category
# themes (in-theme share 0.52 at seed 7), 0.8 does (1.00), 1.2–1.5 gain nothing more and cost the clusters.
CATEGORY_WEIGHT = 0.8


def category_affinity(liked: list[list[str]], candidates: list[list[str]]) -> np.ndarray:
    """Per candidate: the best of its categories' share among the liked papers times its rarity among candidates.

    ``affinity(p) = max over c in p's categories of liked_share(c) · ln(1 / candidate_share(c))``: a category
    every liked paper has and few candidates share scores high; a giant one (cs.AI) little, however often liked.
    """
    if not liked or not candidates:
        return np.zeros(len(candidates), dtype=np.float32)
    liked_count: dict[str, int] = {}
    for cats in liked:
        for c in set(cats):
            liked_count[c] = liked_count.get(c, 0) + 1
    cand_count: dict[str, int] = {}
    for cats in candidates:
        for c in set(cats):
            cand_count[c] = cand_count.get(c, 0) + 1
    n = len(candidates)
    weight = {c: k / len(liked) * np.log(n / cand_count[c]) for c, k in liked_count.items() if c in cand_count}
    return np.array([max((weight.get(c, 0.0) for c in cats), default=0.0) for cats in candidates], dtype=np.float32)


# How much the word model's score adds to the embedding's (both are logits of classifiers of the same papers).
# Chosen on bench/recommend_quality.py (seeds 7 and 11): beside word pairs 1.5 costs the clusters' in-theme
# share (0.776 and 0.786 against 0.788 and 0.795), 2.5–3 category themes their hit rate at one seed; before the
# pairs 2 had lifted word-cluster themes from 0.125 to 0.190 held-out hits, where 4–6 pulled the list off
# category themes.
WORD_WEIGHT = 2.0
# The word model rescores this many of the best candidates by embedding and category (their word counts are
# stored per paper, so the cost is reading and scoring them). On bench/recommend_quality.py, clusters' in-theme
# share at seeds 7 and 11: 150 rescored 0.779 and 0.767, 600 0.793 and 0.787, 1,000 0.795 and 0.788, every May
# paper (7,385) 0.796 and 0.789, for four times the time of 1,000.
SHORTLIST = 1000


def rank(taste: Taste, vectors: np.ndarray, affinity: np.ndarray, ids: np.ndarray,
         words_of: Callable[[np.ndarray], sp.csr_matrix]) -> tuple[np.ndarray, np.ndarray]:
    """The candidates' rows, best first, with their scores: what /for-you, the API and the digests show.

    ``score = taste.score(vector) + CATEGORY_WEIGHT · affinity``, plus ``WORD_WEIGHT · words.score(counts)`` for
    the SHORTLIST best of those (``words_of(rows)``: ``wordmodel.counts`` of those rows); the shortlist comes
    first, the rest follow in the first score's order. Ties: the higher of ``ids`` (the newer paper) first.
    """
    n = len(vectors)
    base = taste.score(vectors) + CATEGORY_WEIGHT * affinity
    ids = np.asarray(ids)
    order = np.lexsort((-ids, -base))
    if taste.words is None or n == 0:
        return order, base.astype(np.float32)
    short = order[:SHORTLIST]
    scores = base.astype(np.float32).copy()
    scores[short] += WORD_WEIGHT * taste.words.score(words_of(short))
    head = short[np.lexsort((-ids[short], -scores[short]))]
    return np.concatenate([head, order[SHORTLIST:]]), scores
