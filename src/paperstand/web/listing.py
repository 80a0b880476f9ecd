"""The front page and the day, week and month pages: featured papers, most upvoted first by default."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION
from paperstand.papers.listings import latest_arxiv_day, latest_arxiv_month
from paperstand.papers.periods import (
    Period,
    day_period,
    month_period,
    week_period_of,
)
from paperstand.papers.queries import (
    PeriodPage,
    count_papers,
    latest_day,
    period_page,
)
from paperstand.web.render import (
    SORT_LABELS,
    absolute,
    by_day,
    check_page,
    listing_url,
    parse_period,
    parse_sort,
    render,
)
from paperstand.web.votes import viewer_id

router = APIRouter(include_in_schema=False)

# A day is shown whole, like the page we imitate (its capture holds 69 papers); this only
# guards against a runaway import. Weeks and months are paged.
DAY_PER_PAGE = 200
PERIOD_PER_PAGE = 50

PageNumber = Annotated[int, Query(ge=1, description="Page number, from 1.")]
SortText = Annotated[str, Query(max_length=200, description="Order: top (default), curated or new.")]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, sort: SortText = "top", session: Session = DB_SESSION) -> HTMLResponse:
    """The latest day with featured papers, or a welcome that explains how to get papers in."""
    order = parse_sort(sort)
    day = latest_day(session)
    if day is None:
        papers = count_papers(session)
        return render(request, "welcome.html", papers=papers, harvest_status=_harvest_status(request, papers))
    listing = period_page(session, day_period(day), per_page=DAY_PER_PAGE, sort=order, member_id=viewer_id(request))
    return _day_page(request, listing, home=True, arxiv_latest=_latest_arxiv(session))


def _latest_arxiv(session: Session) -> tuple[str, str] | None:
    """Where the front page's "everything else" link goes: the newest arXiv day, else month (id-dated papers)."""
    day = latest_arxiv_day(session)
    if day is not None:
        return f"/arxiv/{day.isoformat()}", "the latest arXiv day"
    month = latest_arxiv_month(session)
    return (f"/arxiv/{month:%Y-%m}", "the latest arXiv month") if month is not None else None


@router.get("/papers/date/{day}", response_class=HTMLResponse)
def day_page(request: Request, day: str, p: PageNumber = 1, sort: SortText = "top",
             session: Session = DB_SESSION) -> HTMLResponse:
    """Papers featured on one day (YYYY-MM-DD), most upvoted first unless ``sort`` says otherwise."""
    period = parse_period(day, ("day",), "/papers/date/2025-03-11")
    listing = period_page(session, period, page=p, per_page=DAY_PER_PAGE, sort=parse_sort(sort),
                          member_id=viewer_id(request))
    return _day_page(request, listing)


@router.get("/papers/week/{week}", response_class=HTMLResponse)
def week_page(request: Request, week: str, p: PageNumber = 1, sort: SortText = "top",
              session: Session = DB_SESSION) -> HTMLResponse:
    """Papers featured in one ISO week (YYYY-Www)."""
    period = parse_period(week, ("week",), "/papers/week/2025-W11")
    return _period_page(request, period_page(session, period, page=p, per_page=PERIOD_PER_PAGE,
                                             sort=parse_sort(sort), member_id=viewer_id(request)))


@router.get("/papers/month/{month}", response_class=HTMLResponse)
def month_page(request: Request, month: str, p: PageNumber = 1, sort: SortText = "top",
               session: Session = DB_SESSION) -> HTMLResponse:
    """Papers featured in one month (YYYY-MM)."""
    period = parse_period(month, ("month",), "/papers/month/2025-03")
    return _period_page(request, period_page(session, period, page=p, per_page=PERIOD_PER_PAGE,
                                             sort=parse_sort(sort), member_id=viewer_id(request)))


def _day_page(request: Request, listing: PeriodPage, *, home: bool = False,
              arxiv_latest: tuple[str, str] | None = None) -> HTMLResponse:
    check_page(listing)
    day = listing.period.start
    # On the front page a harvest may still be running; papers exist here, so only a live one is news.
    return render(request, "day.html", listing=listing, home=home, sorts=SORT_LABELS, listing_url=listing_url,
                  harvest_status=_harvest_status(request, 1) if home else None, arxiv_latest=arxiv_latest,
                  canonical=absolute(request, listing_url(listing.period, listing.page, listing.sort)),
                  week=week_period_of(day), month=month_period(day.year, day.month))


def _period_page(request: Request, listing: PeriodPage) -> HTMLResponse:
    check_page(listing)
    # Curated order only means something within a day, so only it is shown day by day.
    days = by_day(listing.cards) if listing.sort == "curated" else None
    return render(request, "period.html", listing=listing, days=days, sorts=SORT_LABELS, listing_url=listing_url,
                  canonical=absolute(request, listing_url(listing.period, listing.page, listing.sort)),
                  arxiv_months=_months_of(listing.period), prev=_enclosing(listing.period, listing.prev_day),
                  next=_enclosing(listing.period, listing.next_day))


def _enclosing(period: Period, day: date | None) -> Period | None:
    """The week or month (same kind as ``period``) holding ``day``: neighbours skip empty periods."""
    if day is None:
        return None
    return week_period_of(day) if period.kind == "week" else month_period(day.year, day.month)


def _months_of(period: Period) -> list[Period]:
    """The months a week or month touches, for links to their arXiv listings (a week may span two)."""
    last = period.end - timedelta(days=1)
    months = [month_period(period.start.year, period.start.month), month_period(last.year, last.month)]
    return months[:1] if months[0] == months[1] else months


def _harvest_status(request: Request, papers: int) -> str | None:
    """What the background first harvest is doing, for the front page (``None`` when nothing, or stale).

    A running harvest is always news. Once it has ended, what it said (e.g. "could not be reached,
    nothing was harvested") is true only while the database is still empty: any papers mean an
    import or a later harvest has since brought some in.
    """
    thread = getattr(request.app.state, "harvest_thread", None)
    if thread is None:
        return None
    status = getattr(thread, "status", None)
    if not isinstance(status, str) or not status.strip():
        return None
    return status if thread.is_alive() or papers == 0 else None
