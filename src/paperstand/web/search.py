"""The search page: one box with the query language, a mode switch, filters, pages and a feed."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from paperstand.deps import db_session
from paperstand.search.query import SearchSyntaxError
from paperstand.search.service import MODES, PER_PAGE, parse_mode, search
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)


def compose(q: str, category: str, author: str, date_from: str, date_to: str) -> str:
    """The query text with the form's filter fields folded in, in the query language itself."""
    parts = [q.strip()]
    if category.strip():
        parts.append(f"cat:{category.strip()}")
    if author.strip():
        parts.append(f'author:"{author.strip()}"' if " " in author.strip() else f"author:{author.strip()}")
    if date_from.strip():
        parts.append(f"from:{date_from.strip()}")
    if date_to.strip():
        parts.append(f"to:{date_to.strip()}")
    return " ".join(p for p in parts if p)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, session: Session = Depends(db_session),
                q: Annotated[str, Query(max_length=500)] = "",
                mode: Annotated[str, Query(max_length=16)] = "hybrid",
                category: Annotated[str, Query(max_length=40)] = "",
                author: Annotated[str, Query(max_length=100)] = "",
                date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
                date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
                p: Annotated[int, Query(ge=1, le=1000)] = 1) -> HTMLResponse:
    """Results for ``q`` (empty: the search form and a guide to the query language)."""
    text = compose(q, category, author, date_from, date_to)
    form = {"q": q, "mode": mode, "category": category, "author": author, "from": date_from, "to": date_to}
    error = None
    try:
        chosen = parse_mode(mode)
        result = (search(session, text, settings=request.app.state.settings, mode=chosen, offset=(p - 1) * PER_PAGE)
                  if text else None)
    except (SearchSyntaxError, ValueError) as exc:
        result, error = None, str(exc)

    def page_url(number: int) -> str:
        return "/search?" + urlencode({**{k: v for k, v in form.items() if v}, "p": number})

    feed = "/feeds/search.rss?" + urlencode({"q": text}) if text else None
    return render(request, "search.html", 400 if error else 200, form=form, modes=MODES, result=result,
                  error=error, page_url=page_url, feed=feed, text=text)
