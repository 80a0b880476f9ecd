"""Feed routes: RSS 2.0 and Atom for the latest day, any day, week and month, arXiv listings, and search."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION, app_settings
from paperstand.errors import BadRequest, NotFound
from paperstand.feeds.build import FORMATS, FeedMeta, build_feed, period_meta, titled
from paperstand.papers.listings import arxiv_papers
from paperstand.papers.periods import Period, day_period
from paperstand.papers.queries import PaperCard, cards_for, featured, latest_day
from paperstand.web.arxiv import listing_url, parse_category, parse_listing
from paperstand.web.render import parse_period
from paperstand.web.templating import period_url

router = APIRouter(include_in_schema=False)

# The most entries one feed carries: a month of picks fits; readers only need what is new.
FEED_LIMIT = 200
# Each feed address's kind of period, with an example address for the "bad period" page.
KINDS: dict[str, tuple[str, str]] = {
    "date": ("day", "/feeds/date/2025-03-11.rss"),
    "week": ("week", "/feeds/week/2025-W11.rss"),
    "month": ("month", "/feeds/month/2025-03.rss"),
}


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(f"there is no .{fmt} feed", hint="Feeds end in .rss or .atom.")
    return fmt


def _respond(request: Request, meta: FeedMeta, cards: list[PaperCard], fmt: str) -> Response:
    base = app_settings(request).effective_base_url
    return Response(build_feed(meta, cards, base, fmt), media_type=FORMATS[fmt])


def _period_feed(request: Request, session: Session, period: Period, fmt: str) -> Response:
    settings = app_settings(request)
    meta = period_meta(period, settings.site_name, settings.effective_base_url + period_url(period),
                       str(request.url))
    return _respond(request, meta, featured(session, period, limit=FEED_LIMIT), fmt)


@router.get("/feeds/latest.{fmt}")
def latest_feed(request: Request, fmt: str, session: Session = DB_SESSION) -> Response:
    """The most recently featured papers, across days."""
    settings = app_settings(request)
    day = latest_day(session)
    if day is not None:
        return _period_feed(request, session, day_period(day), _format(fmt))
    meta = FeedMeta(titled("Daily Papers", settings.site_name), settings.effective_base_url + "/", str(request.url),
                    "Papers of the day")
    return _respond(request, meta, [], _format(fmt))


@router.get("/feeds/search.{fmt}")
def search_feed(request: Request, fmt: str, q: str = Query("", max_length=500),
                mode: str = Query("hybrid", max_length=16), session: Session = DB_SESSION) -> Response:
    """The best matches for a search (the query language of the search page), best first."""
    from paperstand.search.query import SearchSyntaxError
    from paperstand.search.service import parse_mode, search

    settings = app_settings(request)
    base = settings.effective_base_url
    meta = FeedMeta(titled(f"Search: {q}", settings.site_name),
                    f"{base}/search?{urlencode({'q': q})}", str(request.url),
                    f"Papers matching {q!r}")
    try:
        found = search(session, q, settings=settings, mode=parse_mode(mode), limit=50) if q.strip() else None
    except (SearchSyntaxError, ValueError) as exc:
        raise BadRequest(str(exc), hint="See /search for the query language.") from None
    cards = cards_for(session, [r.paper for r in found.results]) if found else []
    return _respond(request, meta, cards, _format(fmt))


@router.get("/feeds/arxiv/{label}.{fmt}")
def arxiv_feed(request: Request, label: str, fmt: str, cat: str = Query("", max_length=40),
               session: Session = DB_SESSION) -> Response:
    """The newest papers first published on arXiv on a day or in a month (``?cat=`` a category or archive)."""
    period, category = parse_listing(label), parse_category(cat)
    fmt = _format(fmt)
    settings = app_settings(request)
    scope = f" in {category}" if category else ""
    meta = FeedMeta(title=titled(f"arXiv papers{scope} of {period.label}", settings.site_name),
                    page_url=settings.effective_base_url + listing_url(period, category), feed_url=str(request.url),
                    description=f"Papers{scope} first published on arXiv in {period.label}, newest first")
    return _respond(request, meta, arxiv_papers(session, period, category=category, limit=FEED_LIMIT), fmt)


# After the arXiv feeds: ``{kind}`` would take "arxiv" and answer 404.
@router.get("/feeds/{kind}/{label}.{fmt}")
def period_feed(request: Request, kind: str, label: str, fmt: str,
                session: Session = DB_SESSION) -> Response:
    """Papers featured on a day, in an ISO week or in a month."""
    if kind not in KINDS:
        raise NotFound(f"there is no {kind} feed", hint="Feeds exist for date, week and month.")
    period_kind, example = KINDS[kind]
    return _period_feed(request, session, parse_period(label, (period_kind,), example), _format(fmt))
