"""Keyword search: one entry point over whichever engine serves this database.

The tantivy index is used when one was built for this database (``paperstand search-index``); it is
what meets the latency target at arXiv scale. Otherwise the database's own full-text index answers
(SQLite FTS5 with BM25, PostgreSQL weighted tsvector), which is exact and needs no extra state but
slows down on very common words in large collections. Both take the same ``ParsedQuery``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from paperstand.papers.models import Paper
from paperstand.search.database import database_search
from paperstand.search.highlight import highlight, match_stems, snippet
from paperstand.search.query import ParsedQuery
from paperstand.search.sync import fast_index_ready
from paperstand.search.tantivy_index import tantivy_search

Source = Session | Connection | Engine
EngineName = Literal["auto", "database", "tantivy"]
# The most results one call may ask for; deeper pages cost every engine more than they are worth.
MAX_LIMIT = 200


@dataclass(frozen=True)
class Hit:
    """One result: the paper, its score (higher is better; comparable only within one result list) and
    its title and abstract snippet as HTML-safe text with matches in ``<mark>``."""

    paper_id: int
    score: float
    title_html: str
    snippet_html: str


def ranked_ids(conn: Connection, query: ParsedQuery, *, limit: int, offset: int = 0,
               index_dir: Path | None = None, engine: EngineName = "auto") -> list[tuple[int, float]]:
    """(paper id, score) pairs, best first, without highlighting (what hybrid fusion needs).

    ``index_dir`` is the tantivy index's folder (``sync.keyword_index_dir(settings.data_dir)``); without
    one the database's own index answers.
    """
    if engine == "tantivy" and index_dir is None:
        raise ValueError("keyword: the tantivy engine needs its index folder (index_dir)")
    limit = max(0, min(limit, MAX_LIMIT))
    if query.is_empty or limit == 0:
        return []
    if index_dir is not None and (engine == "tantivy" or engine == "auto" and fast_index_ready(conn, index_dir)):
        return tantivy_search(index_dir, query, limit=limit, offset=offset)
    return database_search(conn, query, limit=limit, offset=offset)


def _rows(conn: Connection, ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """Title and abstract of each paper in ``ids``.

    The ids are our own integers, written into the statement: binding an expanding list cost SQLAlchemy more
    (compiling, rendering the parameters) than SQLite took to find the rows.
    """
    listed = ",".join(str(int(pid)) for pid in ids)
    result = conn.exec_driver_sql(f"SELECT id, title, abstract FROM {Paper.__tablename__} WHERE id IN ({listed})")
    return {pid: (title, abstract) for pid, title, abstract in result}


def _hits(conn: Connection, query: ParsedQuery, ranked: list[tuple[int, float]]) -> list[Hit]:
    if not ranked:
        return []
    rows = _rows(conn, [pid for pid, _ in ranked])
    stems = match_stems(query)
    # A paper deleted since the index saw it is simply left out.
    return [Hit(pid, score, highlight(rows[pid][0], stems), snippet(rows[pid][1] or "", stems))
            for pid, score in ranked if pid in rows]


def keyword_search(source: Source, query: ParsedQuery, *, limit: int = 20, offset: int = 0,
                   index_dir: Path | None = None, engine: EngineName = "auto") -> list[Hit]:
    """Papers matching ``query``, best first, with highlighted title and abstract snippet."""
    if isinstance(source, Engine):
        with source.connect() as conn:
            return _hits(conn, query, ranked_ids(conn, query, limit=limit, offset=offset,
                                                 index_dir=index_dir, engine=engine))
    conn = source.connection() if isinstance(source, Session) else source
    return _hits(conn, query, ranked_ids(conn, query, limit=limit, offset=offset, index_dir=index_dir,
                                         engine=engine))
