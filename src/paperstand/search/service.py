"""Search as every surface uses it (page, API, feed, terminal): parse, rank by mode, page, highlight.

Modes: ``keyword`` (the full-text engine), ``semantic`` (the embedding index) and ``hybrid``, the
default, which fuses the two with reciprocal rank fusion (``search.fusion``). A query with only
filters (``author:``, ``cat:``, dates) has no meaning to embed, so it is answered by the keyword
engine whatever the mode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from paperstand.papers.models import Paper
from paperstand.search.database import database_count
from paperstand.search.fusion import FUSION_DEPTH, hybrid
from paperstand.search.highlight import highlight, match_stems, snippet
from paperstand.search.keyword import MAX_LIMIT, ranked_ids
from paperstand.search.query import ParsedQuery, parse_query
from paperstand.search.semantic import Coverage, semantic_coverage
from paperstand.search.sync import keyword_index_dir

if TYPE_CHECKING:
    from paperstand.config import Settings

log = logging.getLogger("paperstand.search")

Mode = Literal["hybrid", "keyword", "semantic"]
MODES: tuple[str, ...] = get_args(Mode)
PER_PAGE = 20
# Hybrid and semantic results are ranked lists of this depth: pages past it are empty.
MAX_RESULTS = FUSION_DEPTH
# Keyword matches are counted up to this many for the approximate total ("more than 10,000 results"): the
# count stops there, so a very common word costs a bounded scan.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Result:
    """One paper in a result list, with HTML-safe highlighted title and abstract snippet."""

    paper: Paper
    score: float
    title_html: str
    snippet_html: str
    keyword_rank: int | None = None  # 1-based rank in each engine's list, when it found the paper
    semantic_rank: int | None = None

    @property
    def matched(self) -> str:
        """Which engines found it, for readers: "words", "meaning" or "words and meaning"."""
        parts = [name for name, rank in (("words", self.keyword_rank), ("meaning", self.semantic_rank)) if rank]
        return " and ".join(parts)


@dataclass(frozen=True)
class SearchPage:
    """One page of results and what produced it."""

    text: str
    query: ParsedQuery
    mode: Mode
    results: list[Result]
    offset: int
    limit: int
    has_next: bool
    notices: list[str] = field(default_factory=list)
    total: int = 0  # approximate number of results over every page
    coverage: Coverage | None = None  # how much of the collection search by meaning saw (None: not asked)

    @property
    def total_label(self) -> str:
        """The total for readers: "about 1,240", "6" when one page holds them all, "more than 10,000"."""
        if self.total >= COUNT_CAP:
            return f"more than {COUNT_CAP:,}"
        if not self.has_next and self.offset == 0:
            return f"{self.total:,}"
        return f"about {self.total:,}"

    @property
    def headers(self) -> dict[str, str]:
        """Response headers for API clients: ``X-Semantic-Coverage: embedded/total`` when meaning was asked."""
        return {"X-Semantic-Coverage": self.coverage.header()} if self.coverage is not None else {}

    @property
    def page(self) -> int:
        """The 1-based page number, with ``limit`` results per page."""
        return self.offset // self.limit + 1


def parse_mode(value: str | None) -> Mode:
    """A mode name (default hybrid); raises ValueError naming the choices."""
    value = (value or "hybrid").strip().lower()
    if value not in MODES:
        raise ValueError(f"unknown search mode {value!r}; choose one of {', '.join(MODES)}")
    return value  # type: ignore[return-value]


def search(session: Session, text: str, *, settings: Settings, mode: Mode = "hybrid", offset: int = 0,
           limit: int = PER_PAGE) -> SearchPage:
    """Run a query; raises ``SearchSyntaxError`` for a filter it cannot understand."""
    query = parse_query(text)
    offset, per_page = max(0, offset), max(1, min(limit, MAX_LIMIT))
    notices: list[str] = []
    if query.is_empty:
        return SearchPage(text, query, mode, [], offset, per_page, False, notices)
    conn = session.connection()
    coverage = None
    if mode != "keyword" and query.has_text:
        coverage = semantic_coverage(conn)
        ranking = _by_meaning(session, query, mode, coverage, settings, offset, per_page, notices)
    else:
        ranking = _by_words(conn, query, offset, per_page, settings)
    ids = ranking.ids[:per_page]
    papers = {p.id: p for p in session.execute(select(Paper).where(Paper.id.in_(ids))).scalars()} if ids else {}
    stems = match_stems(query)
    results = [Result(papers[pid], ranking.scores[pid], highlight(papers[pid].title, stems),
                      snippet(papers[pid].abstract or "", stems), ranking.keyword.get(pid), ranking.semantic.get(pid))
               for pid in ids if pid in papers]  # a paper deleted since it was indexed is left out
    if not query.has_text and mode != "keyword":
        notices.append("Only filters were given, so results are matched by keywords and filters.")
    return SearchPage(text, query, ranking.mode, results, offset, per_page, len(ranking.ids) > per_page, notices,
                      total=max(ranking.total, offset + len(results)), coverage=coverage)


@dataclass
class _Ranking:
    """Paper ids of one page (plus one, to tell whether a next page exists), with what ranked them."""

    ids: list[int]
    scores: dict[int, float]
    mode: Mode
    total: int  # approximate number of results over every page
    keyword: dict[int, int] = field(default_factory=dict)
    semantic: dict[int, int] = field(default_factory=dict)


def _keyword_total(conn: Connection, query: ParsedQuery, seen: int, depth: int) -> int:
    """The number of keyword matches: ``seen`` when the list ended before ``depth``, else counted (capped)."""
    return seen if seen < depth else database_count(conn, query, cap=COUNT_CAP)


def _by_words(conn: Connection, query: ParsedQuery, offset: int, per_page: int, settings: Settings) -> _Ranking:
    ranked = ranked_ids(conn, query, limit=per_page + 1, offset=offset, index_dir=keyword_index_dir(settings.data_dir))
    ids = [pid for pid, _ in ranked]
    total = offset + len(ids) if len(ids) <= per_page else _keyword_total(conn, query, 0, 0)
    return _Ranking(ids, dict(ranked), "keyword", total, keyword={pid: offset + i for i, pid in enumerate(ids, 1)})


def _by_meaning(session: Session, query: ParsedQuery, mode: Mode, coverage: Coverage, settings: Settings,
                offset: int, per_page: int, notices: list[str]) -> _Ranking:
    """Semantic or hybrid ranking; keywords alone (with a notice) while nothing is embedded or the model fails."""
    conn = session.connection()
    if coverage.embedded == 0:
        notices.append(f"No papers are searchable by meaning yet ({coverage.total:,} are waiting to be embedded), "
                       "so results are matched by keywords.")
        return _by_words(conn, query, offset, per_page, settings)
    semantic = _semantic(session, query, settings, notices)
    if semantic is None:
        return _by_words(conn, query, offset, per_page, settings)
    if not coverage.complete:
        rest = "; the others are found by their words meanwhile." if mode == "hybrid" else "."
        notices.append(f"{coverage.embedded:,} of {coverage.total:,} papers are searchable by meaning yet{rest}")
    if mode == "semantic":
        window = semantic[offset:offset + per_page + 1]
        ids = [pid for pid, _ in window]
        return _Ranking(ids, dict(window), "semantic", len(semantic),
                        semantic={pid: offset + i for i, pid in enumerate(ids, start=1)})
    keyword = ranked_ids(conn, query, limit=FUSION_DEPTH, index_dir=keyword_index_dir(settings.data_dir))
    fused = hybrid([pid for pid, _ in keyword], [pid for pid, _ in semantic], [score for _, score in keyword])
    window_f = fused[offset:offset + per_page + 1]
    total = max(len(fused), _keyword_total(conn, query, len(keyword), FUSION_DEPTH))
    return _Ranking([f.paper_id for f in window_f], {f.paper_id: f.score for f in window_f}, "hybrid", total,
                    keyword={f.paper_id: f.ranks[0] for f in window_f if f.ranks[0]},
                    semantic={f.paper_id: f.ranks[1] for f in window_f if f.ranks[1]})


def _semantic(session: Session, query: ParsedQuery, settings: Settings,
              notices: list[str]) -> list[tuple[int, float]] | None:
    """The semantic ranking (to the fusion depth), or ``None`` with a notice when it is unavailable."""
    try:
        from paperstand.search.ann import default_index_dir
        from paperstand.search.embedder import embedder_for
        from paperstand.search.semantic import semantic_search

        return semantic_search(session, query, limit=MAX_RESULTS, index_dir=default_index_dir(settings),
                               encoder=embedder_for(settings))
    except Exception as exc:  # a missing or broken model must not take search down with it
        log.warning("semantic search unavailable: %s", exc)
        notices.append("Search by meaning is unavailable right now, so results are matched by keywords.")
        return None


@dataclass(frozen=True)
class SimilarPapers:
    """The papers nearest in meaning to one paper, or word that its vector is not computed yet."""

    papers: list[tuple[Paper, float]]
    waiting: bool = False  # the paper has no vector yet: its neighbours are known once it is embedded


def similar(session: Session, paper_id: int, *, settings: Settings, limit: int = 5) -> SimilarPapers:
    """Nearest papers by meaning from the stored vectors (the model is not needed)."""
    from paperstand.search.ann import default_index_dir
    from paperstand.search.semantic import has_vector, similar_papers

    try:
        if not has_vector(session, paper_id):
            return SimilarPapers([], waiting=True)
        ranked = similar_papers(session, paper_id, limit=limit, index_dir=default_index_dir(settings))
    except Exception:  # the page must render even when the vector index cannot be read
        log.exception("similar papers for %s failed", paper_id)
        return SimilarPapers([])
    ids = [pid for pid, _ in ranked]
    papers = {p.id: p for p in session.execute(select(Paper).where(Paper.id.in_(ids))).scalars()} if ids else {}
    return SimilarPapers([(papers[pid], score) for pid, score in ranked if pid in papers])
