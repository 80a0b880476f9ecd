"""The search page: one box with the query language, a mode switch, filters, pages and a feed."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.papers.queries import cards_for
from paperstand.search.query import SearchSyntaxError, compose
from paperstand.search.service import MODES, PER_PAGE, parse_mode, search
from paperstand.web.follows import follow_buttons
from paperstand.web.render import render
from paperstand.web.votes import viewer_id

router = APIRouter(include_in_schema=False)


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, settings: SettingsDep, session: Session = DB_SESSION,
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
        result = (search(session, text, settings=settings, mode=chosen, offset=(p - 1) * PER_PAGE)
                  if text else None)
    except (SearchSyntaxError, ValueError) as exc:
        result, error = None, str(exc)

    def page_url(number: int) -> str:
        return "/search?" + urlencode({**{k: v for k, v in form.items() if v}, "p": number})

    feed = "/feeds/search.rss?" + urlencode({"q": text}) if text else None
    # The results' upvotes (and the viewer's own), beside each result, in one query for the page.
    cards = cards_for(session, [r.paper for r in result.results], member_id=viewer_id(request)) if result else []
    return render(request, "search.html", 400 if error else 200, form=form, modes=MODES, result=result,
                  error=error, page_url=page_url, feed=feed, text=text, cards=cards,
                  follow_buttons=follow_buttons(request, session) if text and not error else None)
