"""Keyword search in a tantivy index on disk: the engine that meets the latency target at 1M papers.

Why a second engine: SQLite FTS5 (``ORDER BY rank``) and PostgreSQL (``ts_rank`` over a GIN match)
score every matching row before taking the top k, so a query for "learning" over a million papers
costs hundreds of milliseconds (see docs/PERFORMANCE.md). Tantivy keeps per-block score maxima and
skips blocks that cannot enter the top k (block-max WAND), so common words cost about as much as rare
ones. The index is derived from the ``papers`` table, lives under ``$PAPERSTAND_DATA_DIR/search/``,
and is kept current by the ingest pipeline (``paperstand.search.sync``) once it has been built.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import tantivy

from paperstand.papers.category_filter import split_categories
from paperstand.search.query import ParsedQuery

# Score multipliers per field. A title word is nearly always in the abstract too, so it already counts in
# both fields; a strong title boost (it was 3.0) let a paper whose title shares one or two of a described
# query's words beat the paper whose abstract matches the whole description. On the half-remembered
# queries of bench/search_dev_set.jsonl (tune slice) title 3.0 -> 0.75 lifts keyword recall@10 from 0.59
# to 0.81 (0.5: 0.81, 1.0: 0.80), and a paper's own title typed as the query still finds it first (300
# sampled titles over the 23,730 real papers: 300/300 at rank 1 with 3.0, 1.0 and 0.75; 299 with 0.5).
FIELD_BOOSTS = {"title": 0.75, "authors": 2.0, "abstract": 1.0}
META_FILE = "paperstand.json"
# What the documents hold. 2: every arXiv paper has a day (its id's month when no source dated it, see
# migration 0007). An index of an older format is not used (keyword search falls back to the database)
# until ``paperstand search-index`` rebuilds it, since its papers would miss date filters.
INDEX_FORMAT = 2
# Memory for the writer's in-RAM segment; tantivy splits it between threads and needs >= 15 MB each.
WRITER_HEAP = 128_000_000
WRITER_THREADS = 2
# A word found in more than this share of the papers ranks almost nothing (BM25's idf of a word in 79% of
# papers is a tenth of a word in 6%) yet costs the most to evaluate: beside rarer words it is left out of
# the tantivy query (as Lucene's CommonTermsQuery does), alone it is still searched. 1M-paper benchmark:
# see docs/PERFORMANCE.md for what it saves.
COMMON_WORD_SHARE = 0.5
# Below this many papers every query is fast: no word is left out.
COMMON_WORD_MIN_PAPERS = 10_000
# From this many papers a rebuilt index is split into shards, one per core up to MAX_SHARDS, searched side by
# side: a query for very common words ("model", "language models") reads most of the index, and at 1M papers
# two shards on two cores answer those about twice as fast. Each shard scores with its own word statistics
# (as Elasticsearch does by default); over hundreds of thousands of papers per shard they differ by a fraction
# of a percent. Small collections keep one index, whose scores are exact. See docs/PERFORMANCE.md.
SHARD_MIN_PAPERS = 200_000
MAX_SHARDS = 4
_EPOCH = date(1970, 1, 1)

_STEMMED = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("english")).build())
_PLAIN = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
          .filter(tantivy.Filter.lowercase()).build())
# Query words go through the analyzer the field was indexed with ("en_stem" and "default" below).
_ANALYZERS = {"title": _STEMMED, "abstract": _STEMMED, "authors": _PLAIN}


def build_schema() -> tantivy.Schema:
    """Fields: paper id (indexed, and a fast field), three text fields, categories and publication day."""
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=False, indexed=True, fast=True)
    sb.add_text_field("title", tokenizer_name="en_stem")
    sb.add_text_field("authors", tokenizer_name="default")
    sb.add_text_field("abstract", tokenizer_name="en_stem")
    sb.add_text_field("categories", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("day", indexed=True, fast=True)
    return sb.build()


_SCHEMA = build_schema()
_open: dict[Path, tuple[float, tantivy.Index]] = {}


_meta_seen: dict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = {}


def read_meta(path: Path) -> dict[str, Any] | None:
    """The index's bookkeeping (database fingerprint, highest indexed id), or ``None`` when absent.

    Every keyword search asks for it (is the index built for this database?): the parsed file is kept and
    read again only when the file changed, which ``write_meta``'s rename always shows (a new inode).
    """
    file = path / META_FILE
    try:
        st = file.stat()
    except OSError:
        return None
    key = (st.st_ino, st.st_mtime_ns, st.st_size)
    seen = _meta_seen.get(path)
    if seen is not None and seen[0] == key:
        return dict(seen[1])
    try:
        meta = dict(json.loads(file.read_text()))
    except (OSError, ValueError):
        return None
    _meta_seen[path] = (key, meta)
    return dict(meta)


def is_current(meta: dict[str, Any]) -> bool:
    """Whether an index's documents are of this code's ``INDEX_FORMAT``."""
    return meta.get("format") == INDEX_FORMAT


def write_meta(path: Path, meta: dict[str, Any]) -> None:
    """Replace the bookkeeping file atomically, stamped with ``INDEX_FORMAT``.

    Only a rebuild or a sync of a current index (``fast_index_ready``) writes it, so the stamp is true."""
    tmp = path / (META_FILE + ".tmp")
    tmp.write_text(json.dumps({**meta, "format": INDEX_FORMAT}))
    os.replace(tmp, path / META_FILE)


def open_index(path: Path, create: bool = False) -> tantivy.Index:
    """The index at ``path``, opened once per process (``create`` makes an empty one)."""
    if create:
        path.mkdir(parents=True, exist_ok=True)
        _open.pop(path, None)
        return tantivy.Index(_SCHEMA, path=str(path), reuse=True)
    cached = _open.get(path)
    if cached is None:
        cached = (0.0, tantivy.Index.open(str(path)))
        _open[path] = cached
    return cached[1]


def to_document(row: dict[str, Any]) -> tantivy.Document:
    """One paper row (id, title, authors, abstract, categories, published_at) as a tantivy document."""
    doc = tantivy.Document()
    doc.add_integer("id", int(row["id"]))
    doc.add_text("title", row["title"] or "")
    doc.add_text("abstract", row["abstract"] or "")
    for name in row["authors"] or []:
        doc.add_text("authors", name)
    for cat in row["categories"] or []:
        doc.add_text("categories", cat)
    published = row["published_at"]
    if isinstance(published, datetime):
        doc.add_integer("day", (published.astimezone(UTC).date() - _EPOCH).days)
    return doc


def _tokens(field: str, text: str) -> list[str]:
    return list(_ANALYZERS[field].analyze(text))


def _text_query(field: str, text: str) -> tantivy.Query | None:
    toks = _tokens(field, text)
    if not toks:
        return None
    if len(toks) == 1:
        return tantivy.Query.term_query(_SCHEMA, field, toks[0])
    words: list[str | tuple[int, str]] = list(toks)
    return tantivy.Query.phrase_query(_SCHEMA, field, words)


def _anywhere(text: str) -> tantivy.Query | None:
    """``text`` in any field, weighted by field."""
    parts = []
    for field, boost in FIELD_BOOSTS.items():
        q = _text_query(field, text)
        if q is not None:
            parts.append((tantivy.Occur.Should, tantivy.Query.boost_query(q, boost) if boost != 1.0 else q))
    return tantivy.Query.boolean_query(parts) if parts else None


def ranking_terms(q: ParsedQuery, searcher: tantivy.Searcher | _Stats | None) -> tuple[str, ...]:
    """The query's words less those in more than ``COMMON_WORD_SHARE`` of the papers (unless all are)."""
    if searcher is None or len(q.terms) < 2 or searcher.num_docs < COMMON_WORD_MIN_PAPERS:
        return q.terms
    limit = COMMON_WORD_SHARE * searcher.num_docs

    def common(term: str) -> bool:
        toks = _tokens("abstract", term)
        return bool(toks) and all(searcher.doc_freq("abstract", t) > limit for t in toks)

    kept = tuple(t for t in q.terms if not common(t))
    return kept or q.terms


def build_query(q: ParsedQuery, searcher: tantivy.Searcher | _Stats | None = None,
                terms: tuple[str, ...] | None = None) -> tantivy.Query:
    """The tantivy query for a parsed query: words should match, everything else must (or must not).

    ``terms``: the words to rank by when already worked out (``ranking_terms``), else from ``searcher``."""
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for term in ranking_terms(q, searcher) if terms is None else terms:
        # Flat SHOULD clauses (one per field and word) keep the query a plain union that tantivy
        # evaluates with block-max WAND.
        for field, boost in FIELD_BOOSTS.items():
            tq = _text_query(field, term)
            if tq is not None:
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(tq, boost) if boost != 1.0 else tq))
    for text in q.phrases:
        pq = _anywhere(text)
        clauses.append((tantivy.Occur.Must, pq if pq is not None else tantivy.Query.empty_query()))
    for name in q.authors:
        aq = _text_query("authors", name)
        clauses.append((tantivy.Occur.Must, aq if aq is not None else tantivy.Query.empty_query()))
    clauses += _filters(q)
    if not any(occur != tantivy.Occur.MustNot for occur, _ in clauses):
        clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
    # With required clauses beside them, at least one word must still match (as in the database engines).
    # Only then: a minimum-should-match also on a plain union would switch off block-max WAND (3x slower).
    required = any(occur == tantivy.Occur.Must for occur, _ in clauses)
    return tantivy.Query.boolean_query(clauses, 1 if q.terms and required else None)


def _filters(q: ParsedQuery) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    out: list[tuple[tantivy.Occur, tantivy.Query]] = []
    if q.categories:
        out.append((tantivy.Occur.Must, tantivy.Query.const_score_query(_category_query(q.categories), 0.0)))
    if q.date_from or q.date_to:
        lo = (q.date_from - _EPOCH).days if q.date_from else None
        hi = (q.date_to - _EPOCH).days if q.date_to else None
        days = tantivy.Query.range_query(_SCHEMA, "day", tantivy.FieldType.Integer, lo, hi)
        out.append((tantivy.Occur.Must, tantivy.Query.const_score_query(days, 0.0)))
    for text in q.excluded:
        xq = _anywhere(text)
        if xq is not None:
            out.append((tantivy.Occur.MustNot, xq))
    return out


def _category_query(categories: tuple[str, ...]) -> tantivy.Query:
    """Any of the categories (``cs.CL`` exactly, an archive ``cs`` as itself or ``cs.*``; see papers.categories).

    An archive is a regex over the raw category terms: the field holds a few hundred distinct terms, so
    the automaton runs over a tiny term dictionary and no new field (no rebuild) is needed."""
    archives, _ = split_categories(categories)
    parts = [(tantivy.Occur.Should, tantivy.Query.term_set_query(_SCHEMA, "categories", list(categories)))]
    parts += [(tantivy.Occur.Should, tantivy.Query.regex_query(_SCHEMA, "categories", _escaped(a) + r"\..+"))
              for a in archives]
    return tantivy.Query.boolean_query(parts)


def _escaped(text: str) -> str:
    """``text`` as a literal in tantivy's regex syntax (canonical categories hold letters, "-" and ".")."""
    return "".join("\\" + c if not c.isalnum() else c for c in text)


class _Stats:
    """Document statistics summed over an index's shards: what :func:`ranking_terms` reads, so that every
    shard leaves out the same common words."""

    def __init__(self, searchers: list[tantivy.Searcher]) -> None:
        self.searchers = searchers
        self.num_docs = sum(s.num_docs for s in searchers)

    def doc_freq(self, field: str, term: str) -> int:
        return sum(s.doc_freq(field, term) for s in self.searchers)


def shard_paths(path: Path, meta: dict[str, Any] | None = None) -> list[Path]:
    """The folders of the index at ``path``: itself, or one per shard (``s0``, ``s1``, ...) when it was
    built in shards (``shards`` in its bookkeeping)."""
    meta = read_meta(path) if meta is None else meta
    n = int((meta or {}).get("shards", 1))
    return [path] if n <= 1 else [path / f"s{i}" for i in range(n)]


def shard_of(paper_id: int, shards: int) -> int:
    """The shard that holds a paper: fixed by its id, so updates and deletes find it."""
    return paper_id % shards


_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor() -> ThreadPoolExecutor:
    """The threads that search shards, made again in a forked child (which inherits none of them)."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(max_workers=MAX_SHARDS, thread_name_prefix="tantivy"))
    return _pool[1]


def _search_shard(searcher: tantivy.Searcher, query: tantivy.Query, q: ParsedQuery, limit: int,
                  offset: int) -> list[tuple[Any, int]]:
    """(sort key, paper id) pairs from one index: BM25 score, or publication day for filter-only queries."""
    if q.has_text:
        # count=False: counting every match would disable block-max WAND's skipping.
        hits = searcher.search(query, limit=limit, offset=offset, count=False).hits
    else:
        hits = searcher.search(query, limit=limit, offset=offset, count=False, order_by_field="day").hits
    ids = searcher.fast_field_values("id", [addr for _, addr in hits])
    return [(key, int(i)) for (key, _), i in zip(hits, ids, strict=True) if i is not None]


def tantivy_search(path: Path, q: ParsedQuery, *, limit: int, offset: int) -> list[tuple[int, float]]:
    """(paper id, score) pairs, best first; filter-only queries come newest first.

    A sharded index is searched one thread per shard (tantivy releases the interpreter lock while it
    searches), each shard for its best ``offset + limit``, and the lists are merged.
    """
    searchers = [open_index(p).searcher() for p in shard_paths(path)]
    if len(searchers) == 1:
        found = _search_shard(searchers[0], build_query(q, searchers[0]), q, limit, offset)
    else:
        terms = ranking_terms(q, _Stats(searchers))  # once, from every shard's statistics
        queries = [build_query(q, terms=terms) for _ in searchers]  # one query object per thread
        futures = [_executor().submit(_search_shard, s, qy, q, limit + offset, 0)
                   for s, qy in zip(searchers[1:], queries[1:], strict=True)]
        merged = _search_shard(searchers[0], queries[0], q, limit + offset, 0)
        for fut in futures:
            merged += fut.result()
        # Best first; equal keys in paper id order, so pages never overlap or skip.
        merged.sort(key=lambda hit: (-hit[0], hit[1]))
        found = merged[offset:offset + limit]
    return [(pid, float(key) if q.has_text else 0.0) for key, pid in found]


def add_rows(writer: tantivy.IndexWriter, rows: Iterable[dict[str, Any]], replace: bool) -> int:
    """Add paper rows to an open writer (replacing any document with the same id); return how many."""
    n = 0
    for row in rows:
        if replace:
            writer.delete_documents_by_term("id", int(row["id"]))
        writer.add_document(to_document(row))
        n += 1
    return n
