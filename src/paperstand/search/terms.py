"""A paper's words as hashed counts of single words and word pairs, stored beside its vector.

The recommendation word model (``recommend.wordmodel``) scores papers by these counts. Hashing a thousand
abstracts on every page request costs more than the page's whole time budget, so each paper's counts are made
once, when its vector is, from the same text, and stored in ``paper_embeddings.terms``. The features are
arxiv-sanity-lite's: words of title and abstract (its token pattern, English stop words removed) and the pairs
of neighbouring words among them, but hashed into a fixed space, so there is no corpus vocabulary to fit, store
or refit as papers arrive.

Stored form: one 5-byte record per distinct feature, ascending by feature: the feature (little-endian uint32)
and its count in the text (uint8, capped at 255).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

# Hash buckets: a few hundred thousand distinct words and pairs in a large corpus, tens of thousands in any one
# member's training papers, so collisions are rare.
N_FEATURES = 2 ** 20
# Single words and pairs: on bench/recommend_quality.py the pairs are what lifts the share of a narrow theme's
# papers in a list (a pair names a method or an object of study that its two words alone do not).
NGRAMS = (1, 2)
_VECTORIZER = HashingVectorizer(n_features=N_FEATURES, alternate_sign=False, norm=None, stop_words="english",
                                token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", strip_accents="unicode",
                                lowercase=True, dtype=np.float32, ngram_range=NGRAMS)
RECORD = np.dtype([("feature", "<u4"), ("count", "u1")])
# Part of the recipe of anything learned from these features: change it with the features.
VERSION = "h20-ng12"


def raw_counts(texts: Sequence[str]) -> sp.csr_matrix:
    """Hashed counts of each text's words and word pairs (one row per text, sorted features)."""
    if not texts:
        return sp.csr_matrix((0, N_FEATURES), dtype=np.float32)
    x = sp.csr_matrix(_VECTORIZER.transform(list(texts)), dtype=np.float32)
    x.sort_indices()
    return x


def sublinear(x: sp.csr_matrix) -> sp.csr_matrix:
    """``1 + ln(count)`` of each stored count (in place): the word model's term frequency."""
    x.data = (1.0 + np.log(np.maximum(x.data, 1.0))).astype(np.float32)
    return x


def counts(texts: Sequence[str]) -> sp.csr_matrix:
    """The word model's input made from the texts themselves: ``sublinear(raw_counts(texts))``."""
    return sublinear(raw_counts(texts))


def pack(texts: Sequence[str]) -> list[bytes]:
    """The stored form of each text's counts."""
    x = raw_counts(texts)
    rec = np.empty(x.nnz, dtype=RECORD)
    rec["feature"] = x.indices
    rec["count"] = np.minimum(x.data, 255)
    return [rec[lo:hi].tobytes() for lo, hi in zip(x.indptr[:-1], x.indptr[1:], strict=True)]


def unpack(blobs: Sequence[bytes]) -> sp.csr_matrix:
    """Stored counts as the word model's input (``sublinear``), one row per blob; raises ValueError when a blob is
    not a whole number of records or holds a feature out of range."""
    lengths = np.fromiter((len(b) for b in blobs), dtype=np.int64, count=len(blobs))
    if (lengths % RECORD.itemsize).any():
        raise ValueError("stored word counts: a blob is not a whole number of records")
    # One join and one view for every row: a week's thousand blobs unpacked one by one cost more than the scoring.
    rec = np.frombuffer(b"".join(blobs), dtype=RECORD)
    if len(rec) and int(rec["feature"].max()) >= N_FEATURES:
        raise ValueError("stored word counts: a feature is out of range")
    indptr = np.concatenate([[0], np.cumsum(lengths // RECORD.itemsize)])
    x = sp.csr_matrix((rec["count"].astype(np.float32), rec["feature"].astype(np.int32), indptr),
                      shape=(len(blobs), N_FEATURES))
    return sublinear(x)
