"""A member's taste in words: a logistic regression over hashed word counts of titles and abstracts.

The embedding model knows topics; the words know the names a narrow theme goes by (a dataset, a method, an
object of study) that a 384-d sentence vector blurs into its neighbours. As arxiv-sanity-lite does, the
features are the words of title and abstract with sublinear term frequency, rows of unit length; unlike it,
they are hashed into a fixed space (no vocabulary to fit and store), computed from the text when needed
(nothing stored per paper), and the learned weights are kept only for the words that weigh most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

# Hash buckets: with 1–3 thousand distinct words in a member's training papers, collisions are rare.
N_FEATURES = 2 ** 20
# arxiv-sanity-lite's token pattern and English stop words; single words only (word pairs cost twice the
# time to hash and measured no better, bench/recommend_quality.py).
_VECTORIZER = HashingVectorizer(n_features=N_FEATURES, alternate_sign=False, norm=None, stop_words="english",
                                token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", strip_accents="unicode",
                                lowercase=True, dtype=np.float32)
# L2 penalty, as in ``learn.logistic_regression`` (sample weights summing to one). On the quality bench
# 0.002–0.05 rank alike; 0.02 keeps the condition number low (κ ≈ 26) and so the fit short.
L2 = 0.02
# Accelerated gradient steps: with κ ≈ 26 the error shrinks about 5-fold every 8 steps, 60 are plenty for a
# ranking.
GRADIENT_STEPS = 60
# Weights kept per member (the largest in magnitude): the rest are a long tail of words of random papers,
# each barely below zero. 2,000 × 8 bytes is the stored model's size.
KEEP = 2000


def features(texts: Sequence[str]) -> sp.csr_matrix:
    """Hashed word counts of each text, sublinear (``1 + ln tf``), each row of unit length."""
    if not texts:
        return sp.csr_matrix((0, N_FEATURES), dtype=np.float32)
    x = sp.csr_matrix(_VECTORIZER.transform(list(texts)), dtype=np.float32)
    x.data = (1.0 + np.log(x.data)).astype(np.float32)
    # Rows scaled in place: a product with a diagonal matrix over 2^20 columns cost more than the hashing.
    lengths = np.diff(x.indptr)
    sums = np.zeros(len(lengths), dtype=np.float64)
    filled = lengths > 0
    sums[filled] = np.add.reduceat(x.data.astype(np.float64) ** 2, x.indptr[:-1][filled])
    norms = np.sqrt(sums)
    norms[norms == 0] = 1.0
    x.data = (x.data / np.repeat(norms, lengths)).astype(np.float32)
    return x


@dataclass(frozen=True)
class WordTaste:
    """A word model: ``score(x) = x · w + bias`` with ``w`` zero except at ``indices``."""

    indices: np.ndarray  # int32, ascending
    weights: np.ndarray  # float32, one per index
    bias: float

    def score(self, x: sp.csr_matrix) -> np.ndarray:
        """The score of each row of ``x`` (``features`` of some texts)."""
        full = np.zeros(N_FEATURES, dtype=np.float32)
        full[self.indices] = self.weights
        return np.asarray(x @ full + self.bias, dtype=np.float32).ravel()

    def pack(self) -> bytes:
        """The stored form: the count, the indices (little-endian int32), the weights (float32), the bias."""
        head = np.array([len(self.indices)], dtype="<i4").tobytes()
        return (head + self.indices.astype("<i4").tobytes() + self.weights.astype("<f4").tobytes()
                + np.array([self.bias], dtype="<f4").tobytes())


def unpack(blob: bytes) -> WordTaste:
    """The inverse of ``WordTaste.pack``."""
    n = int(np.frombuffer(blob[:4], dtype="<i4")[0])
    indices = np.frombuffer(blob[4:4 + 4 * n], dtype="<i4").astype(np.int32)
    weights = np.frombuffer(blob[4 + 4 * n:4 + 8 * n], dtype="<f4").astype(np.float32)
    bias = float(np.frombuffer(blob[4 + 8 * n:8 + 8 * n], dtype="<f4")[0])
    return WordTaste(indices, weights, bias)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def sparse_logistic_regression(x: sp.csr_matrix, y: np.ndarray, sample_weight: np.ndarray, l2: float = L2,
                               steps: int = GRADIENT_STEPS) -> tuple[np.ndarray, np.ndarray, float]:
    """``learn.logistic_regression`` over sparse rows, solved on the columns in use: ``(columns, w, b)``.

    Columns no row touches have a zero gradient and stay at zero, so the fit runs on the ``k`` columns present
    (a few thousand of 2²⁰). Rows of at most unit length bound the Lipschitz constant by ``(1 + 1)/4 + l2``.
    """
    x = sp.csr_matrix(x, dtype=np.float64)
    columns = np.unique(x.indices).astype(np.int32)
    xs = x[:, columns].tocsr()
    xt = xs.T.tocsr()
    sw = sample_weight / sample_weight.sum()
    row_sq = np.asarray(xs.multiply(xs).sum(axis=1)).ravel()
    lipschitz = (float(row_sq.max(initial=0.0)) + 1.0) / 4 + l2
    kappa = lipschitz / l2
    momentum = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    w = np.zeros(len(columns))
    b = 0.0
    w_ahead, b_ahead = w.copy(), b
    for _ in range(steps):
        r = sw * (_sigmoid(xs @ w_ahead + b_ahead) - y)
        w_next = w_ahead - (xt @ r + l2 * w_ahead) / lipschitz
        b_next = b_ahead - float(r.sum()) / lipschitz
        w_ahead = w_next + momentum * (w_next - w)
        b_ahead = b_next + momentum * (b_next - b)
        w, b = w_next, b_next
    return columns, w, b


def train(positives: sp.csr_matrix, negatives: sp.csr_matrix, randoms: sp.csr_matrix,
          explicit_weight: float, keep: int = KEEP) -> WordTaste:
    """Liked papers' words against 👎 (weighing ``explicit_weight`` each) and random papers', classes balanced."""
    x = sp.vstack([positives, negatives, randoms]).tocsr()
    y = np.concatenate([np.ones(positives.shape[0]), np.zeros(negatives.shape[0] + randoms.shape[0])])
    neg_w = np.concatenate([np.full(negatives.shape[0], explicit_weight), np.ones(randoms.shape[0])])
    pos_w = np.full(positives.shape[0], neg_w.sum() / max(positives.shape[0], 1))
    columns, w, b = sparse_logistic_regression(x, y, np.concatenate([pos_w, neg_w]), L2, GRADIENT_STEPS)
    top = np.sort(np.argsort(-np.abs(w), kind="stable")[:keep])
    return WordTaste(columns[top].astype(np.int32), w[top].astype(np.float32), float(b))
