"""Search by meaning: the query's free text is embedded and its nearest papers returned, filters honoured.

The model is passed in (``embedder.embedder_for(settings)``; ``serve`` loads it in the background at start),
and query vectors are kept in an LRU cache, so a repeated query costs only the index lookup. Filters (``cat:``,
``author:``, dates) are applied in SQL to the ids the index proposes: the index is asked for :data:`OVERFETCH`
times the wanted results, and when too few of them pass (a selective filter), the papers passing the filter
are searched exactly instead, as long as there are at most :data:`EXACT_SUBSET_MAX` of them; otherwise the
index is asked again, wider.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy import ColumnElement, Connection, Table, cast, column, func, literal_column, select, table
from sqlalchemy.dialects.postgresql import TEXT

from paperstand.dialect import dialect_name, on_sqlite
from paperstand.papers.models import Paper
from paperstand.search.database import FTS_TABLE, _filters, fts5_match
from paperstand.search.embed_text import MODEL_ID
from paperstand.search.live import EXACT_THRESHOLD, Results, engine_of, exact_top, get_live_index
from paperstand.search.models import PaperEmbedding
from paperstand.search.query import ParsedQuery, parse_query, words
from paperstand.search.vectors import unpack_vectors

E: Table = PaperEmbedding.__table__  # type: ignore[assignment]

# Query vectors kept (about 1.5 KB each): the most frequent queries of a busy site skip the model entirely.
QUERY_CACHE_SIZE = 2048
# With filters, the index is asked for this many candidates per wanted result before filtering in SQL.
OVERFETCH = 10
# The widest the index is asked when a filter passes few candidates and its papers are too many to scan.
MAX_CANDIDATES = 10_000
# A filter matching at most this many papers is answered exactly over them (their vectors read from the
# table: ~15 MB and a few tens of milliseconds at the limit).
EXACT_SUBSET_MAX = 20_000
# The most results one call may ask for.
MAX_LIMIT = 200


class QueryEncoder(Protocol):
    """What query embedding needs (``paperstand.search.embedder.Embedder`` is one)."""

    model_id: str

    def encode_one(self, text: str) -> np.ndarray:
        """One text's unit vector."""
        ...


class QueryCache:
    """A thread-safe LRU of query vectors keyed by model and text."""

    def __init__(self, size: int = QUERY_CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def vector(self, text: str, encoder: QueryEncoder) -> np.ndarray:
        """The cached vector of ``text``, computed by ``encoder`` on a miss."""
        key = (encoder.model_id, " ".join(text.split()))
        with self._lock:
            vec = self._items.get(key)
            if vec is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return vec
            self.misses += 1
        vec = np.asarray(encoder.encode_one(key[1]), dtype=np.float32)
        vec.setflags(write=False)
        with self._lock:
            self._items[key] = vec
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return vec


query_cache = QueryCache()


def embed_query(text: str, encoder: QueryEncoder) -> np.ndarray:
    """The unit vector of a query's text, from the cache when it was asked before."""
    return query_cache.vector(text, encoder)


def _has_filters(q: ParsedQuery) -> bool:
    return bool(q.authors or q.categories or q.date_from or q.date_to)


def filter_conditions(conn: Connection, q: ParsedQuery) -> list[ColumnElement[bool]]:
    """The query's category, date and author filters on ``papers``, with keyword search's meaning."""
    conds = _filters(q, dialect_name(conn))
    if not q.authors:
        return conds
    if on_sqlite(conn):
        match = fts5_match(ParsedQuery(authors=q.authors))
        fts = table(FTS_TABLE, column("rowid"))
        conds.append(Paper.id.in_(select(fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(match))))
    else:
        simple: ColumnElement[Any] = literal_column("'simple'::regconfig")
        doc = func.to_tsvector(simple, func.coalesce(cast(Paper.authors, TEXT), ""))
        conds += [doc.op("@@")(func.phraseto_tsquery(simple, a)) for a in q.authors]
    return conds


def _passing(conn: Connection, q: ParsedQuery, ranked: Results) -> Results:
    if not ranked:
        return []
    ok = set(conn.execute(select(Paper.id).where(Paper.id.in_([pid for pid, _ in ranked]),
                                                 *filter_conditions(conn, q))).scalars())
    return [(pid, score) for pid, score in ranked if pid in ok]


def _exact_subset(conn: Connection, q: ParsedQuery, vector: np.ndarray, k: int) -> Results | None:
    """Exact search over the papers passing the filters, or ``None`` when they are too many."""
    rows = conn.execute(select(E.c.paper_id, E.c.vector).join(Paper, Paper.id == E.c.paper_id)
                        .where(E.c.model_id == MODEL_ID, *filter_conditions(conn, q))
                        .limit(EXACT_SUBSET_MAX + 1)).all()
    if len(rows) > EXACT_SUBSET_MAX:
        return None
    ids = np.fromiter((r.paper_id for r in rows), dtype=np.int64, count=len(rows))
    return exact_top(ids, unpack_vectors([r.vector for r in rows]), vector, k)


def search_by_vector(conn: Connection, vector: np.ndarray, q: ParsedQuery, *, limit: int, offset: int = 0,
                     index_dir: Path, exact_threshold: int = EXACT_THRESHOLD,
                     exclude: frozenset[int] = frozenset()) -> Results:
    """Nearest papers to ``vector`` passing the query's filters, as (paper id, cosine similarity)."""
    need = offset + max(0, min(limit, MAX_LIMIT))
    if need == offset:
        return []
    live = get_live_index(conn.engine, index_dir, exact_threshold=exact_threshold)
    if not _has_filters(q):
        return live.search(conn.engine, vector, need, exclude)[offset:]
    asked = need * OVERFETCH
    ranked = live.search(conn.engine, vector, asked, exclude)
    kept = _passing(conn, q, ranked)
    if len(kept) >= need or len(ranked) < asked:  # enough, or the whole collection was looked at
        return kept[offset:need]
    exact = _exact_subset(conn, q, vector, need + len(exclude))
    if exact is not None:
        return [(pid, s) for pid, s in exact if pid not in exclude][offset:need]
    ranked = live.search(conn.engine, vector, max(asked, MAX_CANDIDATES), exclude)
    return _passing(conn, q, ranked)[offset:need]


def _connect(source: Any) -> tuple[Connection, bool]:
    """A connection for ``source`` and whether it was opened here (and must be closed)."""
    if isinstance(source, Connection):
        return source, False
    if hasattr(source, "connection"):  # a Session: read inside its transaction
        return source.connection(), False
    return engine_of(source).connect(), True


def semantic_search(source: Any, query: ParsedQuery | str, *, index_dir: Path, encoder: QueryEncoder,
                    limit: int = 20, offset: int = 0,
                    exact_threshold: int = EXACT_THRESHOLD) -> Results:
    """Papers closest in meaning to the query's free text, best first, honouring its filters.

    ``source`` is an engine, connection or session. Returns (paper id, cosine similarity) pairs; an empty list
    when the query has no free text.
    """
    q = parse_query(query) if isinstance(query, str) else query
    if not q.text.strip() or limit <= 0:
        return []
    vector = embed_query(q.text, encoder)
    conn, owned = _connect(source)
    try:
        return search_by_vector(conn, vector, q, limit=limit, offset=offset, index_dir=index_dir,
                                exact_threshold=exact_threshold)
    finally:
        if owned:
            conn.close()


def _title_key(title: str | None) -> str:
    return " ".join(words(title or ""))


def similar_papers(source: Any, paper_id: int, limit: int = 5, *, index_dir: Path,
                   exact_threshold: int = EXACT_THRESHOLD) -> Results:
    """The papers nearest to this one's stored vector, without itself or papers of the same title.

    Empty when the paper has no vector yet (it was added since the last ``paperstand embed``).
    """
    conn, owned = _connect(source)
    try:
        row = conn.execute(select(E.c.vector, Paper.title).join(Paper, Paper.id == E.c.paper_id)
                           .where(E.c.paper_id == paper_id, E.c.model_id == MODEL_ID)).first()
        if row is None or limit <= 0:
            return []
        vector = unpack_vectors([row.vector])[0]
        # A few extra in case some are duplicates of this paper (the same title under another id).
        ranked = search_by_vector(conn, vector, ParsedQuery(), limit=2 * limit + 5, index_dir=index_dir,
                                  exact_threshold=exact_threshold, exclude=frozenset({paper_id}))
        titles = dict(conn.execute(select(Paper.id, Paper.title)
                                   .where(Paper.id.in_([pid for pid, _ in ranked]))).all())
        seen = {_title_key(row.title)}
        out: Results = []
        for pid, score in ranked:
            key = _title_key(titles.get(pid))
            if pid in titles and key not in seen:
                seen.add(key)
                out.append((pid, score))
        return out[:limit]
    finally:
        if owned:
            conn.close()


def has_vector(source: Any, paper_id: int) -> bool:
    """Whether this paper has a vector of the current model (else its similar papers are not known yet)."""
    conn, owned = _connect(source)
    try:
        return conn.execute(select(E.c.paper_id).where(E.c.paper_id == paper_id,
                                                       E.c.model_id == MODEL_ID)).first() is not None
    finally:
        if owned:
            conn.close()


@dataclass(frozen=True)
class Coverage:
    """How many papers have a vector of the current model, of all papers stored."""

    embedded: int
    total: int

    @property
    def complete(self) -> bool:
        """Whether every paper is searchable by meaning."""
        return self.embedded >= self.total

    def header(self) -> str:
        """The ``X-Semantic-Coverage`` value: ``embedded/total``."""
        return f"{self.embedded}/{self.total}"


# Searches read the coverage this often at most (seconds): two counts per query would cost more than the
# query itself on a large database, and a notice a few seconds stale misleads no one.
COVERAGE_TTL_S = 5.0
_coverage_cache: dict[str, tuple[float, Coverage]] = {}
_coverage_lock = threading.Lock()


def semantic_coverage(conn: Connection, *, clock: Callable[[], float] = time.monotonic) -> Coverage:
    """How many papers semantic search covers (cached for :data:`COVERAGE_TTL_S` per database)."""
    from paperstand.search.ann import database_key

    key, now = database_key(conn), clock()
    with _coverage_lock:
        hit = _coverage_cache.get(key)
    if hit is not None and now - hit[0] < COVERAGE_TTL_S:
        return hit[1]
    embedded = conn.execute(select(func.count()).select_from(E).where(E.c.model_id == MODEL_ID)).scalar_one()
    total = conn.execute(select(func.count()).select_from(Paper)).scalar_one()
    found = Coverage(int(embedded), int(total))
    with _coverage_lock:
        _coverage_cache[key] = (now, found)
    return found
