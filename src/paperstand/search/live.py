"""The semantic index as the web process sees it: loaded on first use, kept current, safe to share.

Below :data:`EXACT_THRESHOLD` vectors the stored vectors are held in one matrix and searched exactly (a
dot product with every vector: at 20,000 vectors about 2 ms, and exact). Above it, ``vectors.usearch`` is
memory-mapped read-only (``view``): only the pages a query touches come into memory, and the operating system
shares them with other processes, which is what keeps the web process small at a million papers. The file's
int8 vectors only pick candidates; they are scored again with the table's float16 vectors. Rows written
after the file's watermark are held beside it in a small exact "delta", and keys whose rows changed or went
away since are hidden from the ANN's answers; when the worker saves a newer file, the next refresh maps it and
the delta empties. A refresh costs one small query and runs at most every :data:`REFRESH_INTERVAL_S`.

Searches read an immutable snapshot, so a refresh never disturbs a request already running.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, Engine, select

from paperstand.search.ann import (
    EXPANSION_SEARCH,
    META_FILE,
    VECTORS_FILE,
    WATERMARK_SLACK,
    E,
    current_ids,
    database_key,
    index_keys,
    read_meta,
    rows_since,
    same_vectors,
    sync_index_file,
    table_state,
)
from paperstand.search.embed_text import DIM, MODEL_ID
from paperstand.search.vectors import VECTOR_DTYPE, unpack_vectors

if TYPE_CHECKING:
    from usearch.index import Index

log = logging.getLogger(__name__)

# Below this many vectors, search is exact (brute-force dot product over a float32 matrix of ~1.5 KB a
# vector); from it on, the HNSW file answers. At 20,000 an exact query takes ~2 ms on one core, about what
# the ANN takes at a million, and the matrix is 30 MB.
EXACT_THRESHOLD = 20_000
# How often a search checks the table for new, changed or deleted vectors (seconds).
REFRESH_INTERVAL_S = 10.0
# The int8 graph is asked for a few more results than wanted, and the best :data:`RESCORE_TOP` of them are
# scored again with the exact float16 vectors from the table: the order int8 gets wrong is among near-ties it
# found anyway, and only the first ranks matter much (a page of results, the head of a hybrid fusion). Deeper
# candidates keep their int8 scores, which are within about 0.01 of the exact ones.
RESCORE_EXTRA = 8
# An index file of at most this many vectors is searched by brute force (well under a millisecond).
ANN_EXACT_BELOW = 2_000
RESCORE_TOP = 40

Results = list[tuple[int, float]]


@dataclass(frozen=True)
class Snapshot:
    """One consistent view of the vectors: an optional ANN file plus an exact delta."""

    count: int = 0                           # current-model rows in the table at the last refresh
    newest: datetime | None = None           # newest embedded_at at the last refresh
    watermark: datetime | None = None        # rows up to here are in ``ann`` or ``delta``
    ann: Index | None = None
    ann_signature: tuple[int, int, int] | None = None
    hidden: frozenset[int] = frozenset()     # ANN keys to leave out (changed or deleted since the file)
    delta: dict[int, np.ndarray] = field(default_factory=dict)  # paper id -> float16 vector
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, DIM), dtype=np.float32))
    checked: float = 0.0                     # time.monotonic() of the last refresh

    @property
    def size(self) -> int:
        """How many distinct vectors a search sees."""
        return (len(self.ann) - len(self.hidden) if self.ann is not None else 0) + len(self.delta)


def exact_top(ids: np.ndarray, matrix: np.ndarray, vector: np.ndarray, k: int,
              exclude: frozenset[int] = frozenset()) -> Results:
    """The ``k`` rows of ``matrix`` most similar to ``vector`` (inner product), as (id, score) pairs."""
    if k <= 0 or len(ids) == 0:
        return []
    scores = matrix @ vector.astype(np.float32)
    want = min(len(ids), k + len(exclude))
    top = np.argpartition(-scores, want - 1)[:want] if want < len(ids) else np.arange(len(ids))
    top = top[np.lexsort((ids[top], -scores[top]))]
    return [(int(ids[i]), float(scores[i])) for i in top if int(ids[i]) not in exclude][:k]


class LiveIndex:
    """Nearest-neighbour search over the stored vectors of one database, refreshed as the table changes."""

    def __init__(self, index_dir: Path, *, exact_threshold: int = EXACT_THRESHOLD,
                 refresh_interval: float = REFRESH_INTERVAL_S) -> None:
        self.index_dir = Path(index_dir)
        self.exact_threshold = exact_threshold
        self.refresh_interval = refresh_interval
        self._snapshot: Snapshot | None = None
        self._refresh_lock = threading.Lock()
        # usearch keeps per-thread search buffers indexed by its own thread numbers, not by the calling Python
        # thread, so two concurrent searches of one index could share a buffer; a query takes well under a
        # millisecond, so serialising them costs nothing measurable.
        self._search_lock = threading.Lock()

    def snapshot(self, engine: Engine, *, force: bool = False) -> Snapshot:
        """The current snapshot, refreshed from the table when it is older than the refresh interval."""
        snap = self._snapshot
        if snap is not None and not force and time.monotonic() - snap.checked < self.refresh_interval:
            return snap
        with self._refresh_lock:
            snap = self._snapshot
            if snap is None or force or time.monotonic() - snap.checked >= self.refresh_interval:
                snap = self._snapshot = self._refresh(engine, snap)
            return snap

    def search(self, engine: Engine, vector: np.ndarray, k: int, exclude: frozenset[int] = frozenset()) -> Results:
        """The ``k`` nearest papers to ``vector`` (cosine similarity), best first."""
        snap = self.snapshot(engine)
        found = dict(exact_top(snap.ids, snap.matrix, vector, k, exclude))
        if snap.ann is not None:
            candidates = self._ann_top(snap, vector, k + RESCORE_EXTRA, snap.hidden | exclude)
            head, tail = candidates[:RESCORE_TOP], candidates[RESCORE_TOP:]
            for pid, score in _rescored(engine, head, vector) + tail:
                found.setdefault(pid, score)
        return sorted(found.items(), key=lambda item: (-item[1], item[0]))[:k]

    def _ann_top(self, snap: Snapshot, vector: np.ndarray, k: int, skip: frozenset[int]) -> Results:
        assert snap.ann is not None
        total = len(snap.ann)
        fetch = min(total, k + min(len(skip), 4 * k) + 8)
        while True:
            with self._search_lock:
                snap.ann.expansion_search = max(EXPANSION_SEARCH, fetch)  # type: ignore[misc]
                # Asked for the whole index, or the index is small: the graph search may miss a node (HNSW can
                # leave one with no way in), brute force cannot, and over a few thousand vectors costs little.
                exact = fetch >= total or total <= ANN_EXACT_BELOW
                matches = snap.ann.search(vector.astype(np.float32), fetch, threads=1, exact=exact)
            kept = [(int(key), 1.0 - float(d)) for key, d in zip(matches.keys, matches.distances, strict=True)
                    if int(key) not in skip]
            if len(kept) >= k or fetch >= total:
                return kept[:k]
            fetch = min(total, fetch * 4)

    # ------------------------------------------------------------------------------------------ refresh
    def _signature(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.index_dir / META_FILE)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _refresh(self, engine: Engine, old: Snapshot | None) -> Snapshot:
        with engine.connect() as conn:
            count, newest = table_state(conn)
            use_ann = count >= self.exact_threshold
            if (old is not None and old.count == count and old.newest == newest
                    and (old.ann is not None) == use_ann and (not use_ann or old.ann_signature == self._signature())):
                return replace(old, checked=time.monotonic())
            base = self._base(engine, old, use_ann)
            return self._catch_up(conn, base, count, newest)

    def _base(self, engine: Engine, old: Snapshot | None, use_ann: bool) -> Snapshot:
        """Where a refresh starts: the previous snapshot when it still fits, else a fresh one."""
        if not use_ann:
            return old if old is not None and old.ann is None else Snapshot()
        meta = read_meta(self.index_dir)
        if meta is None or meta.model_id != MODEL_ID or meta.database != database_key(engine):
            log.warning("semantic index %s is missing or stale: building it from the table", self.index_dir)
            sync_index_file(engine, self.index_dir, rebuild=True)
            meta = read_meta(self.index_dir)
        signature = self._signature()
        if old is not None and old.ann is not None and old.ann_signature == signature:
            return old
        from usearch.index import Index

        ann = Index.restore(str(self.index_dir / VECTORS_FILE), view=True)
        return Snapshot(ann=ann, ann_signature=signature, watermark=meta.watermark_at if meta else None)

    def _catch_up(self, conn: Connection, base: Snapshot, count: int, newest: datetime | None) -> Snapshot:
        """Apply the rows written since ``base`` was current; hide what was deleted."""
        delta, hidden, ann = dict(base.delta), set(base.hidden), base.ann
        watermark = base.watermark
        for chunk in rows_since(conn, watermark - WATERMARK_SLACK if watermark is not None else None):
            for row in chunk:
                pid = int(row.paper_id)
                watermark = row.embedded_at if watermark is None else max(watermark, row.embedded_at)
                vec = np.frombuffer(row.vector, dtype=VECTOR_DTYPE) if row.model_id == MODEL_ID else None
                in_ann = ann is not None and pid in ann
                if in_ann and vec is not None and pid not in hidden and _in_file(ann, pid, vec):
                    continue  # read again only because of the watermark's slack: the file has it already
                if vec is not None:
                    delta[pid] = vec
                else:
                    delta.pop(pid, None)
                if in_ann:
                    hidden.add(pid)
        known = (len(ann) - len(hidden) if ann is not None else 0) + len(delta)
        if known != count:  # rows were deleted (or written meanwhile): drop what the table no longer has
            ids = current_ids(conn)
            for pid in [p for p in delta if not _contains(ids, p)]:
                del delta[pid]
            if ann is not None:
                hidden.update(int(k) for k in np.setdiff1d(index_keys(ann), ids))
        keys = np.fromiter(delta, dtype=np.int64, count=len(delta))
        matrix = (np.vstack(list(delta.values())).astype(np.float32) if delta
                  else np.zeros((0, DIM), dtype=np.float32))
        return replace(base, count=count, newest=newest, watermark=watermark, hidden=frozenset(hidden),
                       delta=delta, ids=keys, matrix=matrix, checked=time.monotonic())


def _rescored(engine: Engine, candidates: Results, vector: np.ndarray) -> Results:
    """The ANN's candidates scored exactly with their stored float16 vectors (one indexed query)."""
    if not candidates:
        return []
    ids = [pid for pid, _ in candidates]
    with engine.connect() as conn:
        rows = conn.execute(select(E.c.paper_id, E.c.vector).where(E.c.paper_id.in_(ids),
                                                                   E.c.model_id == MODEL_ID)).all()
    if not rows:
        return []
    scores = unpack_vectors([r.vector for r in rows]) @ vector.astype(np.float32)
    return [(int(r.paper_id), float(score)) for r, score in zip(rows, scores, strict=True)]


def _in_file(ann: Any, pid: int, vector: np.ndarray) -> bool:
    """Whether the ANN file holds this vector for ``pid`` (as int8 holds it)."""
    stored: Any = ann.get(pid, "f32")
    if stored is None:
        return False
    return bool(same_vectors(np.asarray(stored, dtype=np.float32).reshape(1, DIM),
                             vector.astype(np.float32).reshape(1, DIM))[0])


def _contains(sorted_ids: np.ndarray, pid: int) -> bool:
    i = int(np.searchsorted(sorted_ids, pid))
    return i < len(sorted_ids) and int(sorted_ids[i]) == pid


_INDEXES: dict[tuple[str, str, int], LiveIndex] = {}
_INDEXES_LOCK = threading.Lock()


def get_live_index(engine: Engine, index_dir: Path, *, exact_threshold: int = EXACT_THRESHOLD) -> LiveIndex:
    """The shared :class:`LiveIndex` of this database and folder (created on first use; loads nothing yet)."""
    path = Path(index_dir)
    key = (database_key(engine), str(path.resolve()), exact_threshold)
    with _INDEXES_LOCK:
        live = _INDEXES.get(key)
        if live is None:
            live = _INDEXES[key] = LiveIndex(path, exact_threshold=exact_threshold)
        return live


def engine_of(source: Any) -> Engine:
    """The engine behind an engine, connection or session."""
    if isinstance(source, Engine):
        return source
    if isinstance(source, Connection):
        return source.engine
    bind = source.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine
