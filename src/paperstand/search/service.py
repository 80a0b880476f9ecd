"""Search as every surface uses it (page, API, feed, terminal): parse, rank by mode, page, highlight.

Modes: ``keyword`` (the full-text engine), ``semantic`` (the embedding index) and ``hybrid``, the
default, which fuses the two with reciprocal rank fusion (``search.fusion``). A query with only
filters (``author:``, ``cat:``, dates) has no meaning to embed, so it is answered by the keyword
engine whatever the mode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.papers.models import Paper
from paperstand.search.fusion import FUSION_DEPTH, hybrid
from paperstand.search.highlight import highlight, match_stems, snippet
from paperstand.search.keyword import MAX_LIMIT, ranked_ids
from paperstand.search.query import ParsedQuery, parse_query

log = logging.getLogger("paperstand.search")

Mode = Literal["hybrid", "keyword", "semantic"]
MODES: tuple[str, ...] = get_args(Mode)
PER_PAGE = 20
# Hybrid and semantic results are ranked lists of this depth: pages past it are empty.
MAX_RESULTS = FUSION_DEPTH


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


def search(session: Session, text: str, *, mode: Mode = "hybrid", offset: int = 0,
           limit: int = PER_PAGE) -> SearchPage:
    """Run a query; raises ``SearchSyntaxError`` for a filter it cannot understand."""
    query = parse_query(text)
    offset, per_page = max(0, offset), max(1, min(limit, MAX_LIMIT))
    notices: list[str] = []
    if query.is_empty:
        return SearchPage(text, query, mode, [], offset, per_page, False, notices)
    effective: Mode = mode if query.has_text else "keyword"
    conn = session.connection()
    keyword_ranks: dict[int, int] = {}
    semantic_ranks: dict[int, int] = {}
    if effective == "keyword":
        ranked = ranked_ids(conn, query, limit=per_page + 1, offset=offset)
        ids = [pid for pid, _ in ranked]
        scores = dict(ranked)
        keyword_ranks = {pid: offset + i for i, pid in enumerate(ids, start=1)}
    else:
        semantic = _semantic(session, query, notices)
        if semantic is None:  # the embedding index cannot answer: say so and use keywords
            effective = "keyword"
            ranked = ranked_ids(conn, query, limit=per_page + 1, offset=offset)
            ids, scores = [pid for pid, _ in ranked], dict(ranked)
            keyword_ranks = {pid: offset + i for i, pid in enumerate(ids, start=1)}
        elif effective == "semantic":
            window = semantic[offset:offset + per_page + 1]
            ids, scores = [pid for pid, _ in window], dict(window)
            semantic_ranks = {pid: offset + i for i, pid in enumerate(ids, start=1)}
        else:
            keyword = ranked_ids(conn, query, limit=FUSION_DEPTH)
            fused = hybrid([pid for pid, _ in keyword], [pid for pid, _ in semantic])
            window_f = fused[offset:offset + per_page + 1]
            ids, scores = [f.paper_id for f in window_f], {f.paper_id: f.score for f in window_f}
            keyword_ranks = {f.paper_id: f.ranks[0] for f in window_f if f.ranks[0]}
            semantic_ranks = {f.paper_id: f.ranks[1] for f in window_f if f.ranks[1]}
    has_next = len(ids) > per_page
    ids = ids[:per_page]
    papers = {p.id: p for p in session.execute(select(Paper).where(Paper.id.in_(ids))).scalars()} if ids else {}
    stems = match_stems(query)
    results = [Result(papers[pid], scores[pid], highlight(papers[pid].title, stems),
                      snippet(papers[pid].abstract or "", stems), keyword_ranks.get(pid), semantic_ranks.get(pid))
               for pid in ids if pid in papers]  # a paper deleted since it was indexed is left out
    if mode != effective and not notices:
        notices.append("Only filters were given, so results are matched by keywords and filters.")
    return SearchPage(text, query, effective, results, offset, per_page, has_next, notices)


def _semantic(session: Session, query: ParsedQuery, notices: list[str]) -> list[tuple[int, float]] | None:
    """The semantic ranking (to the fusion depth), or ``None`` with a notice when it is unavailable."""
    try:
        from paperstand.search.semantic import semantic_search

        return semantic_search(session, query, limit=MAX_RESULTS)
    except Exception as exc:  # a missing or broken model must not take search down with it
        log.warning("semantic search unavailable: %s", exc)
        notices.append("Search by meaning is unavailable right now, so results are matched by keywords.")
        return None

