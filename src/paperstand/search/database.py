"""Keyword search in the database's own full-text engine: SQLite FTS5 (BM25) or PostgreSQL tsvector (GIN).

Every user-supplied word reaches the database as a bound parameter. FTS5's MATCH argument is itself
a small query language, so it is built here from the parsed words with each one double-quoted (a
quoted FTS5 string is always a literal phrase, whatever it contains); PostgreSQL's tsqueries are built
with ``plainto_tsquery``/``phraseto_tsquery`` on bound text, never by formatting a tsquery string.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    not_,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import TEXT

from paperstand.dialect import on_sqlite
from paperstand.papers.category_filter import category_condition
from paperstand.papers.models import Paper
from paperstand.search.query import ParsedQuery

# Field weights, title > authors > abstract. FTS5's bm25() multiplies each column's contribution.
FTS5_WEIGHTS = (10.0, 4.0, 1.0)  # title, authors, abstract
# ts_rank's weights for the {D, C, B, A} labels; the index labels title A, authors B, abstract C.
PG_WEIGHTS = "{0.05, 0.2, 0.5, 1.0}"
# ts_rank normalisation 1: divide by 1 + log(document length), so long abstracts do not win by size.
PG_RANK_NORMALIZATION = 1
# The indexed document. It must stay identical, character for character, to the expression of the
# GIN index in migration 0005, or PostgreSQL cannot use the index.
PG_DOCUMENT = (
    "(setweight(to_tsvector('english'::regconfig, coalesce(papers.title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce((papers.authors)::text, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(papers.abstract, '')), 'C'))"
)
FTS_TABLE = "papers_fts"

_fts = table(FTS_TABLE, column("rowid"))


def _quoted(text: str) -> str:
    """An FTS5 string literal: a phrase of the words in ``text``, never an operator."""
    return '"' + text.replace('"', '""') + '"'


def fts5_match(q: ParsedQuery) -> str | None:
    """The FTS5 MATCH expression for the query's text parts, or ``None`` when it has none."""
    parts = []
    if q.terms:
        parts.append("(" + " OR ".join(_quoted(t) for t in q.terms) + ")")
    parts += [_quoted(p) for p in q.phrases]
    parts += [f"authors : {_quoted(a)}" for a in q.authors]
    if not parts:
        return None
    expr = " AND ".join(parts)
    for excluded in q.excluded:
        expr = f"({expr}) NOT {_quoted(excluded)}"
    return expr


def _day_start(day: Any) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _filters(q: ParsedQuery, dialect: str) -> list[ColumnElement[bool]]:
    """Category and date filters, the same meaning on both databases.

    ``cat:cs`` is an archive (every ``cs.*``), ``cat:cs.CL`` one category (``papers.categories``). Dates are
    the arXiv date of ``papers.published``: a paper known only by its id's month counts as of the 1st.
    """
    conds: list[ColumnElement[bool]] = []
    if q.categories:
        conds.append(category_condition(q.categories, dialect))
    if q.date_from:
        conds.append(Paper.published_at >= _day_start(q.date_from))
    if q.date_to:
        conds.append(Paper.published_at < _day_start(q.date_to + timedelta(days=1)))
    return conds


def _sqlite_statement(q: ParsedQuery) -> Select[int, Any]:
    match = fts5_match(q)
    filters = _filters(q, "sqlite")
    if match is None:
        stmt: Select[int, Any] = select(Paper.id, literal_column("0.0").label("score")).where(*filters)
        for excluded in q.excluded:
            hit = select(_fts.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(bindparam(None, _quoted(excluded))))
            stmt = stmt.where(Paper.id.not_in(hit))
        return stmt.order_by(Paper.published_at.desc(), Paper.id.desc())
    rank = func.bm25(literal_column(FTS_TABLE), *FTS5_WEIGHTS)
    stmt = (select(Paper.id, (-rank).label("score")).select_from(_fts).join(Paper, Paper.id == _fts.c.rowid)
            .where(literal_column(FTS_TABLE).op("MATCH")(bindparam("match", match)), *filters))
    order = [rank, Paper.id.desc()] if q.has_text else [Paper.published_at.desc(), Paper.id.desc()]
    return stmt.order_by(*order)


def _tsquery(q: ParsedQuery) -> ColumnElement[Any] | None:
    english: ColumnElement[Any] = literal_column("'english'::regconfig")
    simple: ColumnElement[Any] = literal_column("'simple'::regconfig")
    parts: list[ColumnElement[Any]] = []
    if q.terms:
        any_term = func.plainto_tsquery(english, q.terms[0])
        for term in q.terms[1:]:
            any_term = func.tsquery_or(any_term, func.plainto_tsquery(english, term))
        parts.append(any_term)
    parts += [func.phraseto_tsquery(english, p) for p in q.phrases]
    parts += [func.phraseto_tsquery(simple, a) for a in q.authors]
    if not parts:
        return None
    query = parts[0]
    for part in parts[1:]:
        query = func.tsquery_and(query, part)
    for excluded in q.excluded:
        query = func.tsquery_and(query, func.tsquery_not(func.phraseto_tsquery(english, excluded)))
    return query


def _postgres_statement(q: ParsedQuery) -> Select[int, Any]:
    doc: ColumnElement[Any] = literal_column(PG_DOCUMENT)
    filters = _filters(q, "postgresql")
    # The author words must match in the author names, not anywhere in the document.
    authors_doc = func.to_tsvector(literal_column("'simple'::regconfig"),
                                   func.coalesce(cast(Paper.authors, TEXT), ""))
    filters += [authors_doc.op("@@")(func.phraseto_tsquery(literal_column("'simple'::regconfig"), a))
                for a in q.authors]
    tsq = _tsquery(q)
    if tsq is None:
        stmt: Select[int, Any] = select(Paper.id, literal_column("0.0").label("score")).where(*filters)
        for excluded in q.excluded:
            stmt = stmt.where(not_(doc.op("@@")(func.phraseto_tsquery(literal_column("'english'::regconfig"),
                                                                        excluded))))
        return stmt.order_by(Paper.published_at.desc().nulls_last(), Paper.id.desc())
    rank = func.ts_rank(literal_column(f"'{PG_WEIGHTS}'::float4[]"), doc, tsq, PG_RANK_NORMALIZATION)
    stmt = select(Paper.id, rank.label("score")).where(doc.op("@@")(tsq), *filters)
    order = ([rank.desc(), Paper.id.desc()] if q.has_text
             else [Paper.published_at.desc().nulls_last(), Paper.id.desc()])
    return stmt.order_by(*order)


def _statement(conn: Connection, q: ParsedQuery) -> Select[int, Any]:
    """The ranked statement in the engine's own full-text SQL (FTS5 or tsvector: nothing of it is shared)."""
    return _sqlite_statement(q) if on_sqlite(conn) else _postgres_statement(q)


def database_search(conn: Connection, q: ParsedQuery, *, limit: int, offset: int) -> list[tuple[int, float]]:
    """(paper id, score) pairs, best first, from the database's full-text index."""
    stmt = _statement(conn, q)
    return [(int(pid), float(score)) for pid, score in conn.execute(stmt.limit(limit).offset(offset))]


def database_count(conn: Connection, q: ParsedQuery, *, cap: int) -> int:
    """How many papers match, counted up to ``cap`` (the database stops there: a bound on the cost)."""
    stmt = _statement(conn, q)
    capped = stmt.order_by(None).limit(cap).subquery()
    return int(conn.execute(select(func.count()).select_from(capped)).scalar_one())
