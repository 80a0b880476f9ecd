"""The front page and the day, week and month pages: featured papers in curated order."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from paperstand.deps import db_session
from paperstand.papers.periods import (
    Period,
    day_period,
    month_period,
    parse_day,
    parse_month,
    parse_week,
    week_period_of,
)
from paperstand.papers.queries import PeriodPage, count_papers, latest_day, period_page
from paperstand.web.render import absolute, by_day, check_page, parse_period, render
from paperstand.web.templating import period_url

router = APIRouter(include_in_schema=False)

# A day is shown whole, like the page we imitate (its capture holds 69 papers); this only
# guards against a runaway import. Weeks and months are paged.
DAY_PER_PAGE = 200
PERIOD_PER_PAGE = 50

PageNumber = Annotated[int, Query(ge=1, description="Page number, from 1.")]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: Session = Depends(db_session)) -> HTMLResponse:
    """The latest day with featured papers, or a welcome that explains how to get papers in."""
    day = latest_day(session)
    if day is None:
        return render(request, "welcome.html", papers=count_papers(session),
                      harvest_status=_harvest_status(request))
    listing = period_page(session, day_period(day), per_page=DAY_PER_PAGE)
    return _day_page(request, listing, home=True)


@router.get("/papers/date/{day}", response_class=HTMLResponse)
def day_page(request: Request, day: str, p: PageNumber = 1,
             session: Session = Depends(db_session)) -> HTMLResponse:
    """Papers featured on one day (YYYY-MM-DD), in curated order."""
    period = parse_period(parse_day, day, "a date as YYYY-MM-DD", "/papers/date/2025-03-11")
    return _day_page(request, period_page(session, period, page=p, per_page=DAY_PER_PAGE))


@router.get("/papers/week/{week}", response_class=HTMLResponse)
def week_page(request: Request, week: str, p: PageNumber = 1,
              session: Session = Depends(db_session)) -> HTMLResponse:
    """Papers featured in one ISO week (YYYY-Www), grouped by day."""
    period = parse_period(parse_week, week, "an ISO week as YYYY-Www", "/papers/week/2025-W11")
    return _period_page(request, period_page(session, period, page=p, per_page=PERIOD_PER_PAGE))


@router.get("/papers/month/{month}", response_class=HTMLResponse)
def month_page(request: Request, month: str, p: PageNumber = 1,
               session: Session = Depends(db_session)) -> HTMLResponse:
    """Papers featured in one month (YYYY-MM), grouped by day."""
    period = parse_period(parse_month, month, "a month as YYYY-MM", "/papers/month/2025-03")
    return _period_page(request, period_page(session, period, page=p, per_page=PERIOD_PER_PAGE))


def _day_page(request: Request, listing: PeriodPage, *, home: bool = False) -> HTMLResponse:
    check_page(listing)
    day = listing.period.start
    return render(request, "day.html", listing=listing, home=home,
                  harvest_status=_harvest_status(request) if home else None,
                  canonical=absolute(request, period_url(listing.period, listing.page)),
                  week=week_period_of(day), month=month_period(day.year, day.month))


def _period_page(request: Request, listing: PeriodPage) -> HTMLResponse:
    check_page(listing)
    return render(request, "period.html", listing=listing, days=by_day(listing.cards),
                  canonical=absolute(request, period_url(listing.period, listing.page)),
                  prev=_enclosing(listing.period, listing.prev_day),
                  next=_enclosing(listing.period, listing.next_day))


def _enclosing(period: Period, day: date | None) -> Period | None:
    """The week or month (same kind as ``period``) holding ``day``: neighbours skip empty periods."""
    if day is None:
        return None
    return week_period_of(day) if period.kind == "week" else month_period(day.year, day.month)


def _harvest_status(request: Request) -> str | None:
    """What the background first harvest is doing, for the front page (``None`` when nothing)."""
    thread = getattr(request.app.state, "harvest_thread", None)
    status = getattr(thread, "status", None) if thread is not None else None
    return status if isinstance(status, str) and status.strip() else None
