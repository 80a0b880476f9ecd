"""The arXiv listings: every stored paper by the day or month it first appeared on arXiv, featured or not."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import groupby
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION
from paperstand.errors import BadRequest, NotFound
from paperstand.papers.listings import ArxivPage, arxiv_page, latest_arxiv_day, latest_arxiv_month
from paperstand.papers.periods import Period
from paperstand.papers.published import published_label
from paperstand.papers.queries import PaperCard
from paperstand.search.query import SearchSyntaxError, canonical_category
from paperstand.web.render import absolute, parse_period, render
from paperstand.web.votes import viewer_id

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
# Page numbers past any real listing (a million papers is 20,000 pages) are refused before a query.
MAX_PAGE = 1_000_000

PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
CategoryParam = Annotated[str, Query(max_length=40, description="A category (cs.CL) or an archive (cs).")]


def parse_listing(label: str) -> Period:
    """``YYYY-MM-DD`` (a day) or ``YYYY-MM`` (a month); anything else is a 400 naming both forms."""
    return parse_period(label, ("day", "month"), "/arxiv/2026-05-04")


def parse_category(cat: str) -> str | None:
    """The canonical category or archive of ``?cat=`` (``cs.cl`` → ``cs.CL``), ``None`` when empty."""
    if not cat.strip():
        return None
    try:
        return canonical_category(cat.strip())
    except SearchSyntaxError:
        raise BadRequest(f"arxiv: {cat[:40]!r} is not an arXiv category or archive",
                         hint="Use a category such as cs.CL or an archive such as cs, math or hep-th.") from None


def listing_url(period: Period | None, category: str | None = None, page: int = 1) -> str:
    """The address of an arXiv listing (day or month), keeping its category filter."""
    if period is None:
        return ""
    query = {k: v for k, v in (("cat", category), ("p", str(page) if page > 1 else None)) if v}
    return f"/arxiv/{period.label}" + (f"?{urlencode(query)}" if query else "")


def feed_url(period: Period, category: str | None, fmt: str) -> str:
    """The RSS or Atom feed of an arXiv listing."""
    return f"/feeds/arxiv/{period.label}.{fmt}" + (f"?{urlencode({'cat': category})}" if category else "")


@router.get("/arxiv", response_class=RedirectResponse)
def latest(session: Session = DB_SESSION) -> Response:
    """The latest arXiv day with papers (else the latest month with any; else this month's empty page)."""
    day = latest_arxiv_day(session)
    if day is not None:
        return RedirectResponse(f"/arxiv/{day.isoformat()}", status_code=302)
    month = latest_arxiv_month(session) or datetime.now(UTC).date()
    return RedirectResponse(f"/arxiv/{month:%Y-%m}", status_code=302)


@router.get("/arxiv/{label}", response_class=HTMLResponse)
def arxiv_listing(request: Request, label: str, p: PageNumber = 1, cat: CategoryParam = "",
                  session: Session = DB_SESSION) -> HTMLResponse:
    """Every stored paper first published on arXiv on a day (YYYY-MM-DD) or in a month (YYYY-MM)."""
    period, category = parse_listing(label), parse_category(cat)
    listing = arxiv_page(session, period, category=category, page=p, per_page=PER_PAGE,
                         member_id=viewer_id(request))
    if listing.page > listing.pages:
        raise NotFound(f"page {listing.page} does not exist: this listing has {listing.pages} "
                       f"page{'s' if listing.pages != 1 else ''}.", hint="Go back to page 1.")
    return render(request, "arxiv.html", listing=listing, groups=_groups(listing),
                  canonical=absolute(request, listing_url(period, category, listing.page)),
                  listing_url=listing_url, feed_url=feed_url)


def _groups(listing: ArxivPage) -> list[tuple[str, list[PaperCard]]]:
    """A month's cards under their day ("May 4, 2026"), or "May 2026" for papers dated by month only."""
    if listing.period.kind == "day":
        return [("", listing.cards)]
    return [(head, list(cards)) for head, cards in groupby(
        listing.cards, key=lambda c: published_label(c.paper.published_at, c.paper.published_precision))]
