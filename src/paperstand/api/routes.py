"""JSON API compatible with Hugging Face's papers endpoints, and the Markdown paper page. Thin handlers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from paperstand.api import examples
from paperstand.api.markdown import paper_markdown
from paperstand.api.schemas import DailyItem, PaperDetail, SearchItem
from paperstand.api.serialize import daily_item, detail, search_item
from paperstand.community.claims import verified_authors
from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.errors import BadRequest, NotFound
from paperstand.papers.periods import BadPeriod, Period, parse_period
from paperstand.papers.queries import Sort, cards_for, featured, find_card

router = APIRouter()
# Databases take OFFSET as a signed 64-bit integer.
_MAX_OFFSET = 2**62
# Search ranks are computed to a bounded depth; deeper offsets are refused rather than silently empty.
_MAX_SEARCH_OFFSET = 10_000

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid parameters, as `{\"error\": \"...\", \"status\": 400}`."},
    404: {"description": "No such paper, as `{\"error\": \"...\", \"status\": 404}`."},
}


def _documented(model: Any, example: dict[str, Any]) -> dict[str, Any]:
    """A 200 entry for ``responses=``: the model's schema (for /docs and clients) plus the example."""
    return {**example, "model": model}


def _json(content: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer serialized once, with orjson: the same bytes as Starlette's JSON response, faster.

    The models in ``schemas`` only document these bodies; validating each answer through them would
    build every object twice.
    """
    return Response(orjson.dumps(content), media_type="application/json", headers=headers)


def _period(date: str | None, week: str | None, month: str | None) -> Period | None:
    """The one period the query names, if any; two or more, or a malformed one, is a 400."""
    # An empty value (``?date=``) means "not given", as HTML forms and many clients send it.
    given = [(text, kind) for text, kind in ((date, "day"), (week, "week"), (month, "month")) if text]
    if len(given) > 1:
        raise BadRequest("give at most one of date, week and month")
    if not given:
        return None
    text, kind = given[0]
    try:
        return parse_period(text, (kind,))
    except BadPeriod as exc:
        raise BadRequest(str(exc)) from None


@router.get("/api/daily_papers", tags=["papers"],
            responses={**_ERRORS, 200: _documented(list[DailyItem], examples.DAILY)},
            response_description="A bare JSON array of featured papers; `[]` past the last page.")
def daily_papers(
    session: Session = DB_SESSION,
    p: Annotated[int, Query(ge=0, description="Page number, from 0.")] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="Papers per page.")] = 50,
    sort: Annotated[Sort, Query(description="`publishedAt`: newest day first, in the day's order; "
                                            "`trending`: highest trending score first (as on /papers/trending), "
                                            "papers without one after, most upvoted first.")] = "publishedAt",
    date: Annotated[str | None, Query(description="One day, `YYYY-MM-DD`.")] = None,
    week: Annotated[str | None, Query(description="One ISO week, `YYYY-Www`, e.g. `2025-W09`.")] = None,
    month: Annotated[str | None, Query(description="One month, `YYYY-MM`.")] = None,
    submitter: Annotated[str | None, Query(description="Only papers submitted by this user name.")] = None,
) -> Response:
    """Papers featured on a day, in a week or in a month (the most recent ones when none is given)."""
    period = _period(date, week, month)
    if p * limit > _MAX_OFFSET:  # far past any last page, and past what SQL's OFFSET accepts
        return _json([])
    cards = featured(session, period, sort=sort, submitter=submitter or None, offset=p * limit, limit=limit)
    verified = verified_authors(session, [card.paper.id for card in cards])
    return _json([daily_item(card, verified.get(card.paper.id)) for card in cards])


@router.get("/api/papers/search", tags=["papers"],
            responses={**_ERRORS, 200: _documented(list[SearchItem], examples.SEARCH)},
            response_description="A bare JSON array of matching papers, best first; `[]` for an empty query.")
def search_papers(
    settings: SettingsDep, session: Session = DB_SESSION,
    q: Annotated[str, Query(max_length=500, description=(
        'Words, a question, or the query language: `"exact phrase"`, `author:Name`, `cat:cs.CL`, '
        "`from:2024-01-01`, `to:2024-06`, `year:2025`, `-excluded`."))] = "",
    limit: Annotated[int, Query(ge=1, le=100, description="At most this many papers.")] = 20,
    offset: Annotated[int, Query(ge=0, le=_MAX_SEARCH_OFFSET, description="Skip this many results (paging).")] = 0,
    mode: Annotated[Literal["hybrid", "keyword", "semantic"], Query(description=(
        "`hybrid` (default) fuses keyword and semantic rankings; `keyword` matches words (BM25); "
        "`semantic` matches meaning with the bundled embedding model."))] = "hybrid",
    category: Annotated[str, Query(
        max_length=40, description="Only this arXiv category (`cs.CL`) or archive (`cs`).")] = "",
    author: Annotated[str, Query(max_length=100, description="Only papers with an author of this name.")] = "",
    date_from: Annotated[str, Query(
        alias="from", max_length=10, description="Published on or after (YYYY-MM-DD).")] = "",
    date_to: Annotated[str, Query(
        alias="to", max_length=10, description="Published on or before (YYYY-MM-DD).")] = "",
) -> Response:
    """Search by keyword, meaning, or both (the default), with optional filters; Hugging Face-compatible."""
    from paperstand.search.highlight import match_stems
    from paperstand.search.query import SearchSyntaxError, compose
    from paperstand.search.service import search

    text = compose(q, category, author, date_from, date_to)
    if not text:
        return _json([])
    try:
        page = search(session, text, settings=settings, mode=mode, offset=offset, limit=limit)
    except SearchSyntaxError as exc:
        raise BadRequest(str(exc)) from None
    cards = cards_for(session, [r.paper for r in page.results])
    stems = match_stems(page.query)
    verified = verified_authors(session, [card.paper.id for card in cards])
    return _json([search_item(card, stems, verified.get(card.paper.id)) for card in cards],
                 headers=page.headers)


# ``:path`` because old-style arXiv ids contain a slash (hep-th/9901001); declared after /search,
# which would otherwise be read as a paper id.
@router.get("/api/papers/{paper_id:path}", tags=["papers"],
            responses={**_ERRORS, 200: _documented(PaperDetail, examples.DETAIL)},
            response_description="One paper object.")
def paper_detail(paper_id: str, session: Session = DB_SESSION) -> Response:
    """One paper by arXiv id (with or without version, e.g. `2501.00001v2` or `hep-th/9901001`)."""
    card = find_card(session, paper_id)
    if card is None:
        raise NotFound(f"no paper with id {paper_id!r}")
    return _json(detail(card, verified_authors(session, [card.paper.id]).get(card.paper.id)))


# The API router is included before the page router, so this wins over the HTML /papers/{id}.
@router.get("/papers/{paper_id:path}.md", tags=["papers"], response_class=Response,
            responses={404: _ERRORS[404], 200: {"content": {"text/markdown": {}}}},
            response_description="The paper page as Markdown.")
def paper_md(paper_id: str, session: Session = DB_SESSION) -> Response:
    """The paper page as Markdown: title, authors, links, dates, abstract, signals and BibTeX."""
    card = find_card(session, paper_id)
    if card is None:
        raise NotFound(f"No paper with id {paper_id!r} is stored here.")
    return Response(paper_markdown(card), media_type="text/markdown; charset=utf-8")
