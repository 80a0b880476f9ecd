"""Search inside a member's library: the site's query language and modes, over their saved papers only.

A library is small (hundreds or a few thousand papers), so it is searched here, over its own rows: the
query is parsed by ``search.query`` (same filters, phrases, exclusions, errors), keyword ranking is
BM25 over title and abstract with the highlighter's stems, meaning ranking is the cosine of the stored
paper vectors with the query's, and hybrid fuses both as the site search does (``search.fusion``).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.library.items import paper_ids
from paperstand.library.service import get_collection, shelves
from paperstand.papers.models import Paper
from paperstand.papers.queries import PaperCard, cards_for
from paperstand.search.highlight import light_stem, match_stems, snippet
from paperstand.search.query import ParsedQuery, SearchSyntaxError, parse_query, words
from paperstand.search.service import parse_mode

log = logging.getLogger("paperstand.library")

# Results per page, as on the site's search page.
PER_PAGE = 20
# BM25's usual constants: term-frequency saturation and length normalisation.
BM25_K1 = 1.2
BM25_B = 0.75
# A title word counts as this many abstract words: titles say what a paper is about.
TITLE_WEIGHT = 3


@dataclass
class LibraryResults:
    """One page of a library search: cards with snippets, or the error the query had."""

    text: str
    mode: str
    cards: list[PaperCard] = field(default_factory=list)
    snippets: dict[int, str] = field(default_factory=dict)
    total: int = 0
    page: int = 1
    pages: int = 1
    error: str | None = None
    notices: list[str] = field(default_factory=list)
    scope: str = "all collections"


def _passes(paper: Paper, q: ParsedQuery) -> bool:
    """Whether ``paper`` meets the query's filters, phrases and exclusions (as the site search applies them)."""
    if q.phrases or q.excluded:
        text = " ".join(words(f"{paper.title} {paper.abstract or ''}"))
        if any(" ".join(words(p)) not in text for p in q.phrases):
            return False
        if any(f" {' '.join(words(x))} " in f" {text} " for x in q.excluded):
            return False
    names = [" ".join(words(a)) for a in paper.authors or []]
    if any(not any(" ".join(words(a)) in n for n in names) for a in q.authors):
        return False
    cats = {c.lower() for c in paper.categories or []} | {(paper.primary_category or "").lower()}
    if q.categories and not any(c.lower() in cats or any(x.startswith(c.lower() + ".") for x in cats)
                                for c in q.categories):
        return False
    day = paper.published_at.date() if paper.published_at else None
    if (q.date_from or q.date_to) and day is None:
        return False
    return not ((q.date_from and day and day < q.date_from) or (q.date_to and day and day > q.date_to))


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    """``light_stem``, remembered: a library's abstracts repeat the same words many times."""
    return light_stem(word)


def _bm25(papers: list[Paper], q: ParsedQuery) -> list[tuple[int, float]]:
    """Papers with a query word, best BM25 score first (ties by id)."""
    stems = [_stem(w) for part in (*q.terms, *q.phrases) for w in words(part)]
    docs = {p.id: Counter([_stem(w) for w in words(p.title)] * TITLE_WEIGHT
                          + [_stem(w) for w in words(p.abstract or "")]) for p in papers}
    mean = sum(sum(d.values()) for d in docs.values()) / max(1, len(docs))
    df = {s: sum(1 for d in docs.values() if s in d) for s in set(stems)}
    scored = []
    for pid, doc in docs.items():
        length = sum(doc.values())
        score = sum(math.log(1 + (len(docs) - df[s] + 0.5) / (df[s] + 0.5))
                    * doc[s] * (BM25_K1 + 1) / (doc[s] + BM25_K1 * (1 - BM25_B + BM25_B * length / max(mean, 1)))
                    for s in set(stems) if doc[s])
        if score > 0:
            scored.append((pid, score))
    return sorted(scored, key=lambda x: (-x[1], x[0]))


def _by_meaning(session: Session, papers: list[Paper], q: ParsedQuery, settings: Settings,
                notices: list[str]) -> list[tuple[int, float]] | None:
    """Papers by cosine with the query's vector; ``None`` (with a notice) when meaning search is unavailable."""
    from paperstand.search.models import PaperEmbedding
    from paperstand.search.vectors import MODEL_ID, unpack_vectors

    # Only vectors of the current model compare with the query's (others wait to be recomputed).
    rows = session.execute(select(PaperEmbedding.paper_id, PaperEmbedding.vector)
                           .where(PaperEmbedding.paper_id.in_([p.id for p in papers]),
                                  PaperEmbedding.model_id == MODEL_ID)).all() if papers else []
    if not rows:
        notices.append("None of these papers is searchable by meaning yet, so results are matched by keywords.")
        return None
    try:
        from paperstand.search.embedder import embedder_for
        from paperstand.search.semantic import embed_query

        vector = embed_query(q.text, embedder_for(settings))
    except Exception as exc:  # a missing or broken model must not take the library down with it
        log.warning("semantic search unavailable: %s", exc)
        notices.append("Search by meaning is unavailable right now, so results are matched by keywords.")
        return None
    scores = unpack_vectors([r[1] for r in rows]) @ np.asarray(vector, dtype=np.float32)
    return sorted(((int(r[0]), float(s)) for r, s in zip(rows, scores, strict=True)), key=lambda x: (-x[1], x[0]))


def _rank(session: Session, papers: list[Paper], q: ParsedQuery, mode: str, settings: Settings,
          notices: list[str]) -> tuple[list[int], str]:
    if not q.has_text:
        return [p.id for p in sorted(papers, key=lambda p: p.id, reverse=True)], "keyword"
    scored = _bm25(papers, q)
    keyword = [pid for pid, _ in scored]
    if mode == "keyword":
        return keyword, "keyword"
    meaning = _by_meaning(session, papers, q, settings, notices)
    if meaning is None:
        return keyword, "keyword"
    if mode == "semantic":
        return [pid for pid, _ in meaning], "semantic"
    from paperstand.search.fusion import hybrid

    fused = hybrid(keyword, [pid for pid, _ in meaning], [score for _, score in scored])
    return [f.paper_id for f in fused], "hybrid"


def library_search(session: Session, *, member_id: int, text: str, mode: str, settings: Settings,
                   slug: str | None = None, page: int = 1, per_page: int = PER_PAGE) -> LibraryResults:
    """Search the member's saved papers (one collection's when ``slug`` is given); errors come back in the result."""
    found = LibraryResults(text, mode)
    try:
        chosen = parse_mode(mode)
        q = parse_query(text)
    except (SearchSyntaxError, ValueError) as exc:
        found.error = str(exc)
        return found
    if slug:
        collection = get_collection(session, member_id=member_id, slug=slug)
        ids, found.scope = paper_ids(session, collection_ids=[collection.id]), collection.name
    else:
        ids = paper_ids(session, collection_ids=[s.collection.id for s in shelves(session, member_id=member_id)])
    if q.is_empty or not ids:
        return found
    papers = [p for p in session.scalars(select(Paper).where(Paper.id.in_(ids))) if _passes(p, q)]
    ranked, found.mode = _rank(session, papers, q, chosen, settings, found.notices)
    found.total, found.page = len(ranked), page
    found.pages = max(1, -(-len(ranked) // per_page))
    by_id = {p.id: p for p in papers}
    shown = [by_id[pid] for pid in ranked[(page - 1) * per_page: page * per_page]]
    found.cards = cards_for(session, shown, member_id=member_id)
    stems = match_stems(q)
    found.snippets = {p.id: snippet(p.abstract or "", stems) for p in shown}
    return found
