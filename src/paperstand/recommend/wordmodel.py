"""A member's taste in words: a logistic regression over hashed, idf-weighted counts of the words and word pairs
of titles and abstracts.

The embedding model knows topics; the words know the names a narrow theme goes by (a dataset, a method, an
object of study) that a 384-d sentence vector blurs into its neighbours. As arxiv-sanity-lite does, the
features are the words of title and abstract and their pairs with sublinear term frequency times inverse
document frequency, rows of unit length; unlike it, they are hashed into a fixed space (no corpus vocabulary
to fit and store), stored per paper beside its vector (``search.terms``), and the document frequencies come from the
member's own random negatives, a sample of the papers: each model carries its vocabulary (the words seen
among those papers, with their counts, and the words two or more liked papers share), and the learned weights
only for the words that weigh most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from paperstand.search import terms

N_FEATURES = terms.N_FEATURES
# L2 penalty, as in ``learn.logistic_regression`` (sample weights summing to one). On the quality bench
# 0.002–0.05 rank alike; 0.02 keeps the condition number low (κ ≈ 26) and so the fit short.
L2 = 0.02
# Accelerated gradient steps: with κ ≈ 26 the error shrinks about 5-fold every 8 steps, 60 are plenty for a
# ranking.
GRADIENT_STEPS = 60
# Weights kept per member (the largest in magnitude): the rest are a long tail of words of random papers,
# each barely below zero (keeping 5,000 ranked the same on the quality bench). 2,000 × 8 bytes, plus the
# vocabulary's 4 bytes a feature (about 29,000 words and pairs for 200 random real papers), is the stored
# model's size: about 130 KB.
KEEP = 2000


def counts(texts: Sequence[str]) -> sp.csr_matrix:
    """Hashed sublinear counts of each text's words and word pairs (``search.terms.counts``): what is stored per
    paper, made from the texts themselves."""
    return terms.counts(texts)


def _unit_rows(x: sp.csr_matrix) -> sp.csr_matrix:
    """``x`` with each non-empty row scaled to unit length (in place)."""
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
class Vocabulary:
    """The words a model knows and their document frequency ``df`` among ``sample`` random papers.

    ``idf = ln((1 + sample) / (1 + df)) + 1`` (scikit-learn's smoothed idf); a word outside the vocabulary
    weighs nothing, so a paper's words that neither the sample nor two liked papers have (a name, a typo, a
    rare term) do not dilute the rest of its row.
    """

    indices: np.ndarray  # int32, ascending
    df: np.ndarray  # int32, one per index
    sample: int

    def idf(self) -> np.ndarray:
        """The idf of each word of the vocabulary (float32)."""
        return (np.log((1.0 + self.sample) / (1.0 + self.df)) + 1.0).astype(np.float32)

    def weigh(self, x: sp.csr_matrix) -> sp.csr_matrix:
        """``counts`` rows times the idf of their words (zero outside the vocabulary), each of unit length."""
        x = sp.csr_matrix(x, dtype=np.float32, copy=True)
        if len(self.indices) == 0:
            x.data[:] = 0.0
        else:
            at = np.minimum(np.searchsorted(self.indices, x.indices), len(self.indices) - 1)
            x.data *= np.where(self.indices[at] == x.indices, self.idf()[at], np.float32(0.0))
        x.eliminate_zeros()
        return _unit_rows(x)


def vocabulary(positives: sp.csr_matrix, randoms: sp.csr_matrix) -> Vocabulary:
    """The words of the random papers, each with its document frequency among them, and the words at least
    two liked papers share (document frequency 0: the rarest idf)."""
    seen, df = np.unique(randoms.tocsr().indices, return_counts=True)
    liked, times = np.unique(positives.tocsr().indices, return_counts=True)
    shared = np.setdiff1d(liked[times >= 2], seen, assume_unique=True)
    indices = np.concatenate([seen, shared]).astype(np.int32)
    order = np.argsort(indices, kind="stable")
    return Vocabulary(indices[order], np.concatenate([df, np.zeros(len(shared), np.int64)])[order].astype(np.int32),
                      int(randoms.shape[0]))


@dataclass(frozen=True)
class WordTaste:
    """A word model: ``score(x) = weigh(x) · w + bias`` with ``w`` zero except at ``indices``.

    ``vocabulary`` is ``None`` for a model stored before idf weighting: its rows are the unit rows of the plain
    ``counts``.
    """

    indices: np.ndarray  # int32, ascending
    weights: np.ndarray  # float32, one per index
    bias: float
    vocabulary: Vocabulary | None = None

    def score(self, x: sp.csr_matrix) -> np.ndarray:
        """The score of each row of ``x`` (``counts`` of some texts)."""
        rows = _unit_rows(sp.csr_matrix(x, dtype=np.float32, copy=True)) if self.vocabulary is None \
            else self.vocabulary.weigh(x)
        full = np.zeros(N_FEATURES, dtype=np.float32)
        full[self.indices] = self.weights
        return np.asarray(rows @ full + self.bias, dtype=np.float32).ravel()

    def pack(self) -> bytes:
        """The stored form: the count, the indices (little-endian int32), the weights (float32), the bias; then,
        with a vocabulary, its size, the sample size, the width of the index gaps (2 or 4 bytes), the first
        index and the gaps (little-endian unsigned), and the document frequencies (uint16)."""
        head = np.array([len(self.indices)], dtype="<i4").tobytes()
        blob = (head + self.indices.astype("<i4").tobytes() + self.weights.astype("<f4").tobytes()
                + np.array([self.bias], dtype="<f4").tobytes())
        v = self.vocabulary
        if v is None:
            return blob
        gaps = np.diff(v.indices.astype(np.int64))
        width = 2 if len(gaps) == 0 or int(gaps.max()) < 1 << 16 else 4
        first = int(v.indices[0]) if len(v.indices) else 0
        return (blob + np.array([len(v.indices), v.sample, width, first], dtype="<i4").tobytes()
                + gaps.astype("<u2" if width == 2 else "<u4").tobytes()
                + np.minimum(v.df, 0xFFFF).astype("<u2").tobytes())


def unpack(blob: bytes) -> WordTaste:
    """The inverse of ``WordTaste.pack``."""
    n = int(np.frombuffer(blob[:4], dtype="<i4")[0])
    indices = np.frombuffer(blob[4:4 + 4 * n], dtype="<i4").astype(np.int32)
    weights = np.frombuffer(blob[4 + 4 * n:4 + 8 * n], dtype="<f4").astype(np.float32)
    bias = float(np.frombuffer(blob[4 + 8 * n:8 + 8 * n], dtype="<f4")[0])
    at = 8 + 8 * n
    if len(blob) <= at:
        return WordTaste(indices, weights, bias)
    size, sample, width, first = (int(v) for v in np.frombuffer(blob[at:at + 16], dtype="<i4"))
    at += 16
    gaps = np.frombuffer(blob[at:at + width * max(size - 1, 0)], dtype="<u2" if width == 2 else "<u4")
    at += width * max(size - 1, 0)
    vocab = (np.concatenate([[first], first + np.cumsum(gaps, dtype=np.int64)]).astype(np.int32) if size
             else np.zeros(0, np.int32))
    df = np.frombuffer(blob[at:at + 2 * size], dtype="<u2").astype(np.int32)
    return WordTaste(indices, weights, bias, Vocabulary(vocab, df, sample))


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
    """Liked papers' words against 👎 (weighing ``explicit_weight`` each) and random papers', classes balanced.

    The arguments are ``counts``; the vocabulary and its idf come from ``vocabulary(positives, randoms)``.
    """
    vocab = vocabulary(positives, randoms)
    x = vocab.weigh(sp.vstack([positives, negatives, randoms]).tocsr())
    y = np.concatenate([np.ones(positives.shape[0]), np.zeros(negatives.shape[0] + randoms.shape[0])])
    neg_w = np.concatenate([np.full(negatives.shape[0], explicit_weight), np.ones(randoms.shape[0])])
    pos_w = np.full(positives.shape[0], neg_w.sum() / max(positives.shape[0], 1))
    columns, w, b = sparse_logistic_regression(x, y, np.concatenate([pos_w, neg_w]), L2, GRADIENT_STEPS)
    top = np.sort(np.argsort(-np.abs(w), kind="stable")[:keep])
    return WordTaste(columns[top].astype(np.int32), w[top].astype(np.float32), float(b), vocab)
