"""Keeping the keyword indexes in step with the ``papers`` table.

* PostgreSQL: nothing to do; the GIN index is on an expression over ``papers``, so the database
  maintains it with every write.
* SQLite FTS5 and tantivy: ``sync_search_indexes`` runs once at the end of each import run (every
  ``import``, every harvest page), in bulk: papers with an id above the highest indexed one are new,
  and the run's batches report which existing papers they changed. Why not row triggers: they fire
  per row (also for rows whose text did not change) inside the import's transactions, and tokenizing
  abstracts costs about as much as the rest of the import (measured: FTS5 indexing of 60,000
  papers took 9.5 s in one statement, 11.2 s in 2,000-row batches, beside 11.9 s for importing
  them); one statement per run is the cheapest form, and one tantivy commit per run avoids paying
  its fixed commit cost per batch.
* Crash safety: new papers are found by id, so a run that died before its sync is caught up by the
  next one; a changed title lost that way is repaired by ``reindex`` (``paperstand search-index``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, text

from paperstand.dialect import on_sqlite
from paperstand.papers.models import Paper
from paperstand.search import tantivy_index
from paperstand.search.database import FTS_TABLE

log = logging.getLogger(__name__)
T: Table = Paper.__table__  # type: ignore[assignment]
# Rows read from the database per round trip while feeding tantivy.
READ_CHUNK = 5000
# How long a sync waits for another process's tantivy writer (imports run side by side) before giving up.
WRITER_WAIT_S = 60.0
_COLUMNS = (T.c.id, T.c.title, T.c.authors, T.c.abstract, T.c.categories, T.c.published_at)


def is_search_index_object(name: str | None) -> bool:
    """Whether a table or index name belongs to the keyword index (derived data, not a model)."""
    return bool(name) and (str(name).startswith("ix_papers_search") or str(name).startswith(FTS_TABLE))


def keyword_index_dir(data_dir: Path) -> Path:
    """Where the tantivy index of a data folder lives: its ``search/keyword``."""
    return Path(data_dir) / "search" / "keyword"


def database_fingerprint(engine: Engine | Connection) -> str:
    """Names the database an index was built from, so an index is never used with another database."""
    url = engine.engine.url
    if on_sqlite(engine) and url.database and url.database != ":memory:":
        return "sqlite:" + _resolved(url.database, os.getcwd())  # the same file however the URL spells it
    return url.render_as_string(hide_password=True)


@lru_cache(maxsize=64)
def _resolved(path: str, cwd: str) -> str:
    """``path`` made absolute (from ``cwd``) without links, worked out once: every keyword search asks."""
    return str((Path(cwd) / path).resolve())


def sync_database_index(conn: Connection, changed_ids: Iterable[int] = ()) -> None:
    """Bring SQLite's FTS5 table up to date with papers added or changed (no-op on PostgreSQL)."""
    if not on_sqlite(conn):
        return
    changed = sorted(set(changed_ids))
    for start in range(0, len(changed), READ_CHUNK):
        ids = ",".join(str(int(i)) for i in changed[start:start + READ_CHUNK])  # our own integer ids
        conn.exec_driver_sql(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({ids})")
        conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE} (rowid, title, authors, abstract) "
                             f"SELECT id, title, authors, abstract FROM papers WHERE id IN ({ids})")
    conn.exec_driver_sql(
        f"INSERT INTO {FTS_TABLE} (rowid, title, authors, abstract) SELECT id, title, authors, abstract "
        f"FROM papers WHERE id > (SELECT coalesce(max(rowid), 0) FROM {FTS_TABLE}) ORDER BY id")


def sync_search_indexes(engine: Engine, changed_ids: Iterable[int] = (), index_dir: Path | None = None) -> None:
    """Bring every keyword index up to date after an import run (``changed_ids``: papers it rewrote).

    ``index_dir`` is the tantivy index's folder (``keyword_index_dir(settings.data_dir)``); without one only
    the database's own index is brought up to date.
    """
    changed = list(changed_ids)
    if on_sqlite(engine):
        with engine.begin() as conn:
            sync_database_index(conn, changed)
    if index_dir is not None:
        sync_fast_index(engine, changed, index_dir)


def _rows(engine: Engine, where: Any) -> Iterator[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=READ_CHUNK).execute(select(*_COLUMNS).where(where).order_by(T.c.id))
        for row in result.mappings():
            yield dict(row)


def _writer(index: Any, shards: int = 1) -> Any:
    deadline = time.monotonic() + WRITER_WAIT_S
    # Shards are written side by side, one thread each, sharing the one memory budget.
    threads = tantivy_index.WRITER_THREADS if shards == 1 else 1
    while True:
        try:
            return index.writer(tantivy_index.WRITER_HEAP // shards, threads)
        except ValueError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def fast_index_ready(engine: Engine | Connection, index_dir: Path) -> bool:
    """Whether a tantivy index built from this database exists at ``index_dir``."""
    meta = tantivy_index.read_meta(index_dir)
    return (meta is not None and meta.get("database") == database_fingerprint(engine)
            and tantivy_index.is_current(meta))


def sync_fast_index(engine: Engine, changed_ids: Iterable[int], index_dir: Path) -> int:
    """Add new and changed papers to the tantivy index, if one was built for this database; return how many."""
    if not fast_index_ready(engine, index_dir):
        return 0
    meta = tantivy_index.read_meta(index_dir) or {}
    shards = _Shards(tantivy_index.shard_paths(index_dir, meta))
    high = int(meta.get("max_id", 0))
    changed = sorted({int(i) for i in changed_ids if int(i) <= high})
    n = 0
    for start in range(0, len(changed), READ_CHUNK):
        for row in _rows(engine, T.c.id.in_(changed[start:start + READ_CHUNK])):
            n += tantivy_index.add_rows(shards.writer_for(int(row["id"])), [row], True)
    for row in _rows(engine, T.c.id > high):
        # Ids above the watermark may exist already when an earlier run died between commit and meta.
        tantivy_index.add_rows(shards.writer_for(int(row["id"])), [row], True)
        high, n = max(high, int(row["id"])), n + 1
    shards.commit()
    tantivy_index.write_meta(index_dir, {**meta, "max_id": high})
    return n


class _Shards:
    """Writers for an index's shard folders, each opened when a paper first goes to it."""

    def __init__(self, paths: list[Path], create: bool = False) -> None:
        self.paths = paths
        self.indexes = [tantivy_index.open_index(p, create=create) for p in paths] if create else []
        self.writers: dict[int, Any] = {}

    def writer_for(self, paper_id: int) -> Any:
        k = tantivy_index.shard_of(paper_id, len(self.paths))
        writer = self.writers.get(k)
        if writer is None:
            index = self.indexes[k] if self.indexes else tantivy_index.open_index(self.paths[k])
            writer = self.writers[k] = _writer(index, len(self.paths))
        return writer

    def commit(self) -> None:
        for k, writer in sorted(self.writers.items()):
            writer.commit()
            writer.wait_merging_threads()
            tantivy_index.open_index(self.paths[k]).reload()


def reindex(engine: Engine, index_dir: Path, *, fast: bool = True, database: bool = True,
            shards: int | None = None, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the keyword indexes from scratch: the database's (unless not ``database``) and, when ``fast``,
    the tantivy index (in ``shards`` shards; default: by collection size, see ``shard_count``); return how
    many papers the tantivy index holds. ``progress`` is told (papers indexed, papers in all) as it goes."""
    if database:
        _reindex_database(engine)
    if not fast:
        return 0
    return _reindex_tantivy(engine, index_dir, shards, progress)


def _reindex_database(engine: Engine) -> None:
    with engine.begin() as conn:
        if on_sqlite(conn):
            conn.exec_driver_sql(f"DELETE FROM {FTS_TABLE}")
            sync_database_index(conn)
            conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('optimize')")
        else:
            conn.execute(text("REINDEX INDEX ix_papers_search"))


def shard_count(papers: int, cpus: int | None = None) -> int:
    """Shards for an index of ``papers``: one below ``SHARD_MIN_PAPERS``, else one per core up to ``MAX_SHARDS``."""
    if papers < tantivy_index.SHARD_MIN_PAPERS:
        return 1
    from paperstand.search.embed_text import usable_cpus

    return max(1, min(tantivy_index.MAX_SHARDS, cpus or usable_cpus()))


def _reindex_tantivy(engine: Engine, index_dir: Path, shards: int | None,
                     progress: Callable[[int, int], None] | None = None) -> int:
    # Forget the old watermark first: a crash mid-rebuild then leaves no index rather than a wrong one.
    index_dir.mkdir(parents=True, exist_ok=True)
    (index_dir / tantivy_index.META_FILE).unlink(missing_ok=True)
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(T)).scalar_one())
    shards = shards or shard_count(total)
    paths = tantivy_index.shard_paths(index_dir, {"shards": shards})
    _empty_other_layouts(index_dir, paths)
    target = _Shards(paths, create=True)
    for k, index in enumerate(target.indexes):
        target.writers[k] = _writer(index, shards)
        target.writers[k].delete_all_documents()
    high = n = 0
    for row in _rows(engine, T.c.id > 0):
        tantivy_index.add_rows(target.writer_for(int(row["id"])), [row], False)
        high, n = max(high, int(row["id"])), n + 1
        if progress and n % READ_CHUNK == 0:
            progress(n, total)
    target.commit()
    if progress:
        progress(n, total)
    tantivy_index.write_meta(index_dir, {"database": database_fingerprint(engine), "max_id": high,
                                         "shards": shards})
    return n


def _empty_other_layouts(index_dir: Path, keep: list[Path]) -> None:
    """Empty the index folders a rebuild with another shard count leaves behind (tantivy deletes the files)."""
    stale = [p for p in [index_dir, *sorted(index_dir.glob("s[0-9]*"))]
             if p not in keep and (p / "meta.json").is_file()]
    for path in stale:
        writer = _writer(tantivy_index.open_index(path))
        writer.delete_all_documents()
        writer.commit()
        writer.garbage_collect_files()
        writer.wait_merging_threads()
        tantivy_index.open_index(path).reload()
