"""Training, storing and loading each member's taste model; the worker's retrain of every changed member."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import scipy.sparse as sp
from sqlalchemy import delete, select, union
from sqlalchemy.orm import Session

from paperstand.community.models import Vote
from paperstand.dialect import upsert
from paperstand.library.models import Collection
from paperstand.recommend import learn, wordmodel
from paperstand.recommend.models import PaperRating, TasteModel
from paperstand.recommend.signals import Signal, labels, member_signals
from paperstand.recommend.vectors import random_vectors, vectors_of, word_counts_of

# Fewer liked papers than this and the member gets the cold-start list: one or two papers say too little to
# rank a whole week by (and the first visit asks for a handful of 👍 to get past it).
PERSONAL_MIN_POSITIVES = 3
# Random papers read once per retrain run; each member draws its RANDOM_NEGATIVES from them. Ten times as many
# keeps two members' negatives mostly different, at 3 MiB of vectors.
POOL_SIZE = 10 * learn.RANDOM_NEGATIVES


@dataclass(frozen=True)
class MemberModel:
    """A member's model with the liked papers it came from (ids and vectors, for the reasons)."""

    taste: learn.Taste
    liked_ids: list[int]
    liked_vectors: np.ndarray
    fingerprint: str


def signal_fingerprint(signals: list[Signal]) -> str:
    """The fingerprint of a member's signals: their papers and labels."""
    return learn.fingerprint(labels(signals).items())


@dataclass(frozen=True)
class RandomPool:
    """Random papers' vectors and texts read once for a whole retrain run, each member drawing its negatives."""

    ids: np.ndarray
    vectors: np.ndarray
    words: sp.csr_matrix  # wordmodel.counts of the same papers: read once per run, not once per member

    def draw(self, count: int, seed: int, exclude: dict[int, int]) -> tuple[np.ndarray, sp.csr_matrix]:
        """``count`` of the pool's vectors and word features (a fixed draw per seed), none of ``exclude``."""
        keep = np.flatnonzero(~np.isin(self.ids, np.fromiter(exclude, dtype=np.int64, count=len(exclude))))
        rows = np.sort(np.random.default_rng(seed).choice(keep, min(count, len(keep)), replace=False))
        return self.vectors[rows], self.words[rows]


def random_pool(session: Session, size: int = POOL_SIZE) -> RandomPool:
    """A pool of random papers' vectors and word features for ``retrain_all``."""
    ids, vecs = random_vectors(session, size, 0, set())
    return RandomPool(np.asarray(ids, dtype=np.int64), vecs, word_counts_of(session, ids))


def fit(session: Session, member_id: int, signals: list[Signal], pool: RandomPool | None = None) -> MemberModel | None:
    """Train the member's model from their signals; ``None`` below PERSONAL_MIN_POSITIVES liked papers."""
    labelled = labels(signals)
    liked_ids, liked = vectors_of(session, [p for p, y in labelled.items() if y > 0])
    if len(liked_ids) < PERSONAL_MIN_POSITIVES:
        return None
    disliked_ids, disliked = vectors_of(session, [p for p, y in labelled.items() if y < 0])
    if len(liked_ids) < learn.CLASSIFIER_MIN_POSITIVES:
        taste = learn.train(liked, disliked, np.zeros((0, liked.shape[1]), np.float32))
        return MemberModel(taste, liked_ids, liked, signal_fingerprint(signals))
    if pool is not None:
        randoms, random_words = pool.draw(learn.RANDOM_NEGATIVES, member_id, labelled)
    else:
        random_ids, randoms = random_vectors(session, learn.RANDOM_NEGATIVES, member_id, labelled)
        random_words = word_counts_of(session, random_ids)
    signalled = word_counts_of(session, liked_ids + disliked_ids)  # one read for both
    words = (signalled[:len(liked_ids)], signalled[len(liked_ids):], random_words)
    taste = learn.train(liked, disliked, randoms, words)
    return MemberModel(taste, liked_ids, liked, signal_fingerprint(signals))


def stored_taste(session: Session, member_id: int, fingerprint: str) -> learn.Taste | None:
    """The stored model of the member if it was trained on exactly these signals."""
    row = session.get(TasteModel, member_id)
    if row is None or row.fingerprint != fingerprint:
        return None
    weights = np.frombuffer(row.weights, dtype="<f4").astype(np.float32)
    words = wordmodel.unpack(row.word_weights) if row.word_weights else None
    return learn.Taste(row.kind, weights, float(row.bias), row.positives, row.negatives, words)


def member_model(session: Session, member_id: int, signals: list[Signal]) -> MemberModel | None:
    """The member's model: the stored one when their signals have not changed since, else trained now."""
    fp = signal_fingerprint(signals)
    taste = stored_taste(session, member_id, fp)
    if taste is None:
        return fit(session, member_id, signals)
    labelled = labels(signals)
    liked_ids, liked = vectors_of(session, [p for p, y in labelled.items() if y > 0])
    return MemberModel(taste, liked_ids, liked, fp)


def store(session: Session, member_id: int, model: MemberModel | None, now: datetime) -> None:
    """Write (or, for ``None``, delete) the member's stored model; idempotent under concurrent retrains."""
    if model is None:
        session.execute(delete(TasteModel).where(TasteModel.member_id == member_id))
        return
    t = model.taste
    session.execute(upsert(session.connection(), TasteModel, keys=["member_id"],
                           update=["kind", "weights", "bias", "word_weights", "fingerprint", "positives",
                                   "negatives", "trained_at"])
                    .values(member_id=member_id, kind=t.kind, weights=t.weights.astype("<f4").tobytes(),
                            bias=t.bias, word_weights=t.words.pack() if t.words is not None else None,
                            fingerprint=model.fingerprint, positives=t.positives,
                            negatives=t.negatives, trained_at=now))


def retrain_member(session: Session, *, member_id: int, now: datetime | None = None,
                   pool: RandomPool | None = None) -> bool:
    """Retrain and store one member's model if their signals changed; True when it was retrained."""
    signals = member_signals(session, member_id)
    row = session.get(TasteModel, member_id)
    fp = signal_fingerprint(signals)
    if row is not None and row.fingerprint == fp:
        return False
    store(session, member_id, fit(session, member_id, signals, pool), now or datetime.now(UTC))
    return True


def members_with_signals(session: Session) -> list[int]:
    """Every member who voted, has a collection, rated a paper or has a stored model, by id."""
    q = union(select(Vote.member_id), select(Collection.member_id), select(PaperRating.member_id),
              select(TasteModel.member_id))
    return sorted(int(m) for (m,) in session.execute(q))


@dataclass
class RetrainReport:
    """What one retrain run did."""

    members: int = 0
    retrained: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        """One line for the worker's log."""
        return (f"{self.retrained:,} of {self.members:,} members' taste models retrained "
                f"in {self.seconds:.1f} s ({self.members - self.retrained:,} unchanged)")


def retrain_all(session: Session, *, now: datetime | None = None,
                clock: Callable[[], float] = time.monotonic) -> RetrainReport:
    """Retrain every member whose signals changed since their stored model, committing each one."""
    started = clock()
    report = RetrainReport()
    pool = random_pool(session)
    for member_id in members_with_signals(session):
        report.members += 1
        if retrain_member(session, member_id=member_id, now=now, pool=pool):
            report.retrained += 1
        session.commit()
    report.seconds = clock() - started
    return report
