"""The approximate-nearest-neighbour index over the stored paper vectors (usearch HNSW), kept on disk.

Layout under ``$PAPERSTAND_DATA_DIR/search/semantic/``:

* ``vectors.usearch`` — the HNSW graph with int8 vectors, keys = paper ids, cosine metric. int8 holds a vector in
  384 bytes (half of float16), which is what keeps a million-paper index in memory at about 0.5 GB; the graph
  only finds candidates, and :class:`~paperstand.search.live.LiveIndex` scores them again exactly with the
  float16 vectors of the table;
* ``meta.json`` — the model id of its vectors, the database it was built from, and the watermark: the newest
  ``paper_embeddings.embedded_at`` it contains;
* ``.lock`` — held while a process writes the two files.

Writers (``paperstand embed``, the worker's ``embed`` job) call :func:`sync_index_file`: it loads the file, adds
the rows written since the watermark (replacing changed keys), removes keys whose rows are gone, and saves to a
temporary file renamed into place — the vectors first, then the meta, so a reader never sees a half-written file
and a crash between the two renames only makes the next sync re-apply a few rows. The file is rebuilt from the
table when it is missing, unreadable, or holds another model's vectors.

The web process reads it through :class:`~paperstand.search.live.LiveIndex` (memory-mapped, see there).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Connection, Engine, Table, func, select

from paperstand.search.embed_text import DIM, MODEL_ID
from paperstand.search.models import PaperEmbedding
from paperstand.search.vectors import unpack_vectors

if TYPE_CHECKING:
    from usearch.index import Index

    from paperstand.config import Settings

log = logging.getLogger(__name__)
E: Table = PaperEmbedding.__table__  # type: ignore[assignment]

FORMAT = 2  # 1: float16 vectors, inner product; 2: int8 vectors, cosine
VECTORS_FILE = "vectors.usearch"
META_FILE = "meta.json"
# HNSW graph degree ("M"): 16 links a node is the usual balance of recall, memory (~130 bytes a vector for
# the graph beside 384 for the int8 vector) and build time.
CONNECTIVITY = 16
# Candidates examined while inserting ("efConstruction"): higher builds a better graph, more slowly.
EXPANSION_ADD = 128
# Candidates examined per query ("ef"): on 100,000 embedding-like synthetic vectors, 200 gives recall@10 0.97
# against exact search at 1.5 ms a query (96: 0.92 at 0.8 ms; bench/semantic_index.py); raised per query when
# more results than this are asked for.
EXPANSION_SEARCH = 200
# Rows written this long before the watermark are read again on every sync: a batch takes its
# ``embedded_at`` just before committing, so one that waited on a lock may commit a little after a newer one.
WATERMARK_SLACK = timedelta(seconds=10)
# Rows read from the table per round trip while building.
READ_CHUNK = 20_000


def default_index_dir(settings: Settings) -> Path:
    """Where the semantic index file lives: the data folder's ``search/semantic``."""
    return Path(settings.data_dir) / "search" / "semantic"


def database_key(engine: Engine | Connection) -> str:
    """Names the database the index was built from, so an index is never used with another database."""
    from paperstand.search.sync import database_fingerprint

    return database_fingerprint(engine)


@dataclass(frozen=True)
class IndexMeta:
    """What ``meta.json`` says about ``vectors.usearch``."""

    model_id: str
    database: str
    watermark: str | None  # ISO time of the newest row included
    count: int
    format: int = FORMAT

    @property
    def watermark_at(self) -> datetime | None:
        """The watermark as a datetime."""
        return datetime.fromisoformat(self.watermark) if self.watermark else None


@dataclass
class IndexReport:
    """What one sync of the index file did."""

    path: Path
    size: int = 0
    added: int = 0
    replaced: int = 0
    removed: int = 0
    rebuilt: bool = False

    def line(self) -> str:
        """Human-readable summary."""
        how = ("rebuilt" if self.rebuilt
               else f"{self.added:,} added, {self.replaced:,} replaced, {self.removed:,} removed")
        return f"semantic index: {self.size:,} vectors ({how}) in {self.path}"


def new_index() -> Index:
    """An empty HNSW index for unit vectors of DIM floats, stored as int8."""
    from usearch.index import Index

    return Index(ndim=DIM, metric="cos", dtype="i8", connectivity=CONNECTIVITY, expansion_add=EXPANSION_ADD,
                 expansion_search=EXPANSION_SEARCH)


# usearch stores an int8 component as the float times 127, truncated: a vector read back differs from the one
# put in by less than one step in each component. A changed paper's vector moves by more than that somewhere.
QUANTUM = 1.0 / 127


def same_vectors(stored: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Which rows of ``vectors`` the index already holds as ``stored`` (read back as float32), row by row."""
    return np.all(np.abs(stored - vectors) <= QUANTUM + 1e-6, axis=1)


def index_keys(index: Index) -> np.ndarray:
    """Every key in ``index`` (int64)."""
    n = len(index)
    return np.asarray(index.keys[0:n], dtype=np.int64) if n else np.zeros(0, dtype=np.int64)


def read_meta(index_dir: Path) -> IndexMeta | None:
    """The index's meta, or ``None`` when there is no usable index file."""
    try:
        raw = json.loads((index_dir / META_FILE).read_text())
        meta = IndexMeta(**raw)
    except (OSError, ValueError, TypeError):
        return None
    if meta.format != FORMAT or not (index_dir / VECTORS_FILE).is_file():
        return None
    return meta


def _replace(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_index(index_dir: Path, index: Index, meta: IndexMeta) -> None:
    """Write the vectors, then the meta, each to a temporary file renamed into place."""
    index_dir.mkdir(parents=True, exist_ok=True)
    _replace(index_dir / VECTORS_FILE, lambda tmp: index.save(str(tmp)))
    _replace(index_dir / META_FILE, lambda tmp: tmp.write_text(json.dumps(asdict(meta))))


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time (the worker and a ``paperstand embed`` may run together)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def table_state(conn: Connection, model_id: str = MODEL_ID) -> tuple[int, datetime | None]:
    """How many vectors of ``model_id`` the table holds, and when the newest row was written."""
    count = conn.execute(select(func.count()).select_from(E).where(E.c.model_id == model_id)).scalar_one()
    newest = conn.execute(select(func.max(E.c.embedded_at))).scalar_one()
    if isinstance(newest, str):  # SQLite returns the aggregate untyped
        newest = datetime.fromisoformat(newest)
    if newest is not None and newest.tzinfo is None:
        from datetime import UTC

        newest = newest.replace(tzinfo=UTC)
    return int(count), newest


def rows_since(conn: Connection, since: datetime | None) -> Iterator[Sequence[Any]]:
    """Rows written at or after ``since`` (all rows when ``None``), in chunks: (paper_id, model_id, vector,
    embedded_at)."""
    stmt = select(E.c.paper_id, E.c.model_id, E.c.vector, E.c.embedded_at)
    if since is not None:
        stmt = stmt.where(E.c.embedded_at >= since)
    result = conn.execution_options(yield_per=READ_CHUNK).execute(stmt)
    yield from result.partitions(READ_CHUNK)


def current_ids(conn: Connection, model_id: str = MODEL_ID) -> np.ndarray:
    """Ids of the papers with a vector of ``model_id``, sorted (int64)."""
    ids = conn.execute(select(E.c.paper_id).where(E.c.model_id == model_id)).scalars().all()
    return np.sort(np.fromiter(ids, dtype=np.int64, count=len(ids)))


def _apply(index: Index, chunk: Sequence[Any], report: IndexReport) -> datetime | None:
    """Put a chunk of table rows into ``index``; returns the newest ``embedded_at`` seen."""
    keep = [r for r in chunk if r.model_id == MODEL_ID]
    gone = np.fromiter((r.paper_id for r in chunk if r.model_id != MODEL_ID), dtype=np.uint64)
    if len(gone):
        report.removed += int(np.sum(index.remove(gone)))
    if keep:
        keys = np.fromiter((r.paper_id for r in keep), dtype=np.uint64, count=len(keep))
        vectors = unpack_vectors([r.vector for r in keep])
        present = np.fromiter((int(k) in index for k in keys), dtype=bool, count=len(keys))
        if present.any():
            # Rows read again (the watermark's slack) are usually unchanged: compare before replacing, since
            # HNSW has no in-place update and every removal leaves a tombstone in the graph.
            got: Any = index.get(keys[present], dtype="f32")
            stored = np.vstack(got).reshape(-1, DIM)
            same = same_vectors(stored, vectors[present])
            changed = keys[present][~same]
            if len(changed):
                index.remove(changed)
                report.replaced += len(changed)
            fresh = ~present
            fresh[np.flatnonzero(present)[~same]] = True
            keys, vectors = keys[fresh], vectors[fresh]
            report.added += int(len(keys)) - len(changed)
        else:
            report.added += len(keys)
        if len(keys):
            index.add(keys, vectors)
    return max((r.embedded_at for r in chunk), default=None)


def sync_index_file(engine: Engine, index_dir: Path, *, rebuild: bool = False) -> IndexReport:
    """Bring ``vectors.usearch`` up to date with the table (incrementally unless it must be rebuilt)."""
    from usearch.index import Index

    report = IndexReport(path=index_dir)
    with writer_lock(index_dir), engine.connect() as conn:
        key = database_key(engine)
        meta = read_meta(index_dir)
        index = None
        if not rebuild and meta is not None and meta.model_id == MODEL_ID and meta.database == key:
            try:
                index = Index.restore(str(index_dir / VECTORS_FILE))
            except Exception:  # a damaged file is rebuilt below
                log.warning("semantic index %s is unreadable; rebuilding it", index_dir)
        since = None
        if index is None or meta is None:
            index, report.rebuilt = new_index(), True
        else:
            watermark = meta.watermark_at
            since = watermark - WATERMARK_SLACK if watermark is not None else None
        newest = meta.watermark_at if meta is not None and not report.rebuilt else None
        for chunk in rows_since(conn, since):
            seen = _apply(index, chunk, report)
            newest = max(filter(None, (newest, seen)), default=None)
        count, _ = table_state(conn)
        if len(index) != count:  # rows deleted (papers removed): drop their keys
            stale = np.setdiff1d(index_keys(index), current_ids(conn))
            if len(stale):
                report.removed += int(np.sum(index.remove(stale.astype(np.uint64))))
        report.size = len(index)
        moved = newest is not None and meta is not None and newest != meta.watermark_at
        if report.rebuilt or report.added or report.replaced or report.removed or moved:
            save_index(index_dir, index, IndexMeta(MODEL_ID, key, newest.isoformat() if newest else None,
                                                   len(index)))
    return report
