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
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, select, text

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
    return bool(name) and (name == "ix_papers_search" or str(name).startswith(FTS_TABLE))


def default_index_dir() -> Path:
    """Where the tantivy index lives: ``$PAPERSTAND_DATA_DIR/search/keyword``."""
    from paperstand.config import Settings

    return Settings().data_dir / "search" / "keyword"


def database_fingerprint(engine: Engine | Connection) -> str:
    """Names the database an index was built from, so an index is never used with another database."""
    url = engine.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return "sqlite:" + str(Path(url.database).resolve())  # the same file however the URL spells it
    return url.render_as_string(hide_password=True)


def sync_database_index(conn: Connection, changed_ids: Iterable[int] = ()) -> None:
    """Bring SQLite's FTS5 table up to date with papers added or changed (no-op on PostgreSQL)."""
    if conn.dialect.name != "sqlite":
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
    """Bring every keyword index up to date after an import run (``changed_ids``: papers it rewrote)."""
    changed = list(changed_ids)
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            sync_database_index(conn, changed)
    sync_fast_index(engine, changed, index_dir)


def _rows(engine: Engine, where: Any) -> Iterator[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=READ_CHUNK).execute(select(*_COLUMNS).where(where).order_by(T.c.id))
        for row in result.mappings():
            yield dict(row)


def _writer(index: Any) -> Any:
    deadline = time.monotonic() + WRITER_WAIT_S
    while True:
        try:
            return index.writer(tantivy_index.WRITER_HEAP, tantivy_index.WRITER_THREADS)
        except ValueError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def fast_index_ready(engine: Engine | Connection, index_dir: Path) -> bool:
    """Whether a tantivy index built from this database exists at ``index_dir``."""
    meta = tantivy_index.read_meta(index_dir)
    return meta is not None and meta.get("database") == database_fingerprint(engine)


def sync_fast_index(engine: Engine, changed_ids: Iterable[int] = (), index_dir: Path | None = None) -> int:
    """Add new and changed papers to the tantivy index, if one was built for this database; return how many."""
    index_dir = index_dir or default_index_dir()
    if not fast_index_ready(engine, index_dir):
        return 0
    meta = tantivy_index.read_meta(index_dir) or {}
    index = tantivy_index.open_index(index_dir)
    writer = _writer(index)
    high = int(meta.get("max_id", 0))
    changed = sorted({int(i) for i in changed_ids if int(i) <= high})
    n = 0
    for start in range(0, len(changed), READ_CHUNK):
        n += tantivy_index.add_rows(writer, _rows(engine, T.c.id.in_(changed[start:start + READ_CHUNK])), True)
    for row in _rows(engine, T.c.id > high):
        # Ids above the watermark may exist already when an earlier run died between commit and meta.
        tantivy_index.add_rows(writer, [row], True)
        high, n = max(high, int(row["id"])), n + 1
    writer.commit()
    writer.wait_merging_threads()
    tantivy_index.write_meta(index_dir, {**meta, "max_id": high})
    index.reload()
    return n


def reindex(engine: Engine, index_dir: Path | None = None, *, fast: bool = True, database: bool = True) -> int:
    """Rebuild the keyword indexes from scratch: the database's (unless not ``database``) and, when ``fast``,
    the tantivy index; return how many papers the tantivy index holds."""
    if database:
        _reindex_database(engine)
    if not fast:
        return 0
    return _reindex_tantivy(engine, index_dir or default_index_dir())


def _reindex_database(engine: Engine) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"DELETE FROM {FTS_TABLE}")
            sync_database_index(conn)
            conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('optimize')")
        else:
            conn.execute(text("REINDEX INDEX ix_papers_search"))


def _reindex_tantivy(engine: Engine, index_dir: Path) -> int:
    index = tantivy_index.open_index(index_dir, create=True)
    writer = _writer(index)
    writer.delete_all_documents()
    high = 0
    # Forget the old watermark first: a crash mid-rebuild then leaves no index rather than a wrong one.
    (index_dir / tantivy_index.META_FILE).unlink(missing_ok=True)
    n = 0
    for row in _rows(engine, T.c.id > 0):
        tantivy_index.add_rows(writer, [row], False)
        high, n = max(high, int(row["id"])), n + 1
    writer.commit()
    writer.wait_merging_threads()
    tantivy_index.write_meta(index_dir, {"database": database_fingerprint(engine), "max_id": high})
    index.reload()
    return n
