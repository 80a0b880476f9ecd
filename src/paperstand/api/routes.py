"""JSON API compatible with Hugging Face's papers endpoints, and the Markdown paper page. Thin handlers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from paperstand.api import examples
from paperstand.api.markdown import paper_markdown
from paperstand.api.serialize import daily_item, detail, search_item
from paperstand.deps import db_session
from paperstand.errors import BadRequest, NotFound
from paperstand.papers.periods import BadPeriod, Period, parse_day, parse_month, parse_week
from paperstand.papers.queries import Sort, featured, find_card, search_simple

router = APIRouter()
# Databases take OFFSET as a signed 64-bit integer.
_MAX_OFFSET = 2**62

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid parameters, as `{\"error\": \"...\", \"status\": 400}`."},
    404: {"description": "No such paper, as `{\"error\": \"...\", \"status\": 404}`."},
}


def _period(date: str | None, week: str | None, month: str | None) -> Period | None:
    """The one period the query names, if any; two or more, or a malformed one, is a 400."""
    # An empty value (``?date=``) means "not given", as HTML forms and many clients send it.
    given = [(text, parse) for text, parse in ((date, parse_day), (week, parse_week), (month, parse_month))
             if text]
    if len(given) > 1:
        raise BadRequest("give at most one of date, week and month")
    if not given:
        return None
    text, parse = given[0]
    try:
        return parse(text)
    except BadPeriod as exc:
        raise BadRequest(str(exc)) from None


@router.get("/api/daily_papers", tags=["papers"], responses={**_ERRORS, 200: examples.DAILY},
            response_description="A bare JSON array of featured papers; `[]` past the last page.")
def daily_papers(
    session: Session = Depends(db_session),
    p: Annotated[int, Query(ge=0, description="Page number, from 0.")] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="Papers per page.")] = 50,
    sort: Annotated[Sort, Query(description="`publishedAt`: newest day first, in the day's "
                                            "order; `trending`: most upvoted first.")] = "publishedAt",
    date: Annotated[str | None, Query(description="One day, `YYYY-MM-DD`.")] = None,
    week: Annotated[str | None, Query(description="One ISO week, `YYYY-Www`, e.g. `2025-W09`.")] = None,
    month: Annotated[str | None, Query(description="One month, `YYYY-MM`.")] = None,
    submitter: Annotated[str | None, Query(description="Only papers submitted by this user name.")] = None,
) -> JSONResponse:
    """Papers featured on a day, in a week or in a month (the most recent ones when none is given)."""
    period = _period(date, week, month)
    if p * limit > _MAX_OFFSET:  # far past any last page, and past what SQL's OFFSET accepts
        return JSONResponse([])
    cards = featured(session, period, sort=sort, submitter=submitter or None, offset=p * limit, limit=limit)
    return JSONResponse([daily_item(card) for card in cards])


@router.get("/api/papers/search", tags=["papers"], responses={**_ERRORS, 200: examples.SEARCH},
            response_description="A bare JSON array of matching papers; `[]` for an empty query.")
def search_papers(
    session: Session = Depends(db_session),
    q: Annotated[str, Query(description="Words that must all occur in the title or abstract.")] = "",
    limit: Annotated[int, Query(ge=1, le=100, description="At most this many papers.")] = 20,
) -> JSONResponse:
    """Papers whose title or abstract contains every word of `q` (case-insensitive), title hits first."""
    cards = search_simple(session, q, limit=limit) if q.strip() else []
    return JSONResponse([search_item(card, q) for card in cards])


# ``:path`` because old-style arXiv ids contain a slash (hep-th/9901001); declared after /search,
# which would otherwise be read as a paper id.
@router.get("/api/papers/{paper_id:path}", tags=["papers"], responses={**_ERRORS, 200: examples.DETAIL},
            response_description="One paper object.")
def paper_detail(paper_id: str, session: Session = Depends(db_session)) -> JSONResponse:
    """One paper by arXiv id (with or without version, e.g. `2501.00001v2` or `hep-th/9901001`)."""
    card = find_card(session, paper_id)
    if card is None:
        raise NotFound(f"no paper with id {paper_id!r}")
    return JSONResponse(detail(card))


# The API router is included before the page router, so this wins over the HTML /papers/{id}.
@router.get("/papers/{paper_id:path}.md", tags=["papers"], response_class=Response,
            responses={404: _ERRORS[404], 200: {"content": {"text/markdown": {}}}},
            response_description="The paper page as Markdown.")
def paper_md(paper_id: str, session: Session = Depends(db_session)) -> Response:
    """The paper page as Markdown: title, authors, links, dates, abstract, signals and BibTeX."""
    card = find_card(session, paper_id)
    if card is None:
        raise NotFound(f"No paper with id {paper_id!r} is stored here.")
    return Response(paper_markdown(card), media_type="text/markdown; charset=utf-8")
