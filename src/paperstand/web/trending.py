"""/papers/trending and its feeds: papers by stored trending score, each card with the line that explains it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from paperstand.deps import app_settings, db_session
from paperstand.errors import NotFound
from paperstand.feeds.build import FORMATS, FeedMeta, build_feed, titled
from paperstand.ranking import trending
from paperstand.ranking.queries import trending_cards, trending_page
from paperstand.web.render import absolute, render

router = APIRouter(include_in_schema=False)

PER_PAGE = 50
# A feed carries the first page: readers want what trends now, not the tail.
FEED_LIMIT = PER_PAGE
PATH = "/papers/trending"
# What the page says about the formula, from the constants themselves (README: "Trending").
RULES = {
    "window_days": trending.ACTIVITY_WINDOW.days,
    "young_hours": int(trending.YOUNG_ACCOUNT.total_seconds() // 3600),
    "young_weight": trending.YOUNG_ACCOUNT_WEIGHT,
    "vote_points": trending.VOTE_POINTS_PER_DOUBLING,
    "star_points": trending.STAR_POINTS_PER_DOUBLING,
    "comment_points": trending.COMMENT_POINTS_PER_DOUBLING,
    "hours_per_point": int(trending.HOURS_PER_POINT),
}


def page_url(page: int) -> str:
    """The address of page ``page`` of the trending list."""
    return PATH if page == 1 else f"{PATH}?p={page}"


@router.get(PATH, response_class=HTMLResponse)
def trending_list(request: Request, p: Annotated[int, Query(ge=1, description="Page number, from 1.")] = 1,
                  session: Session = Depends(db_session)) -> HTMLResponse:
    """Papers by trending score, highest first, 50 a page, each with the line its score adds up from."""
    listing = trending_page(session, page=p, per_page=PER_PAGE)
    if listing.page > listing.pages:
        raise NotFound(f"page {listing.page} does not exist: the trending list has {listing.pages} "
                       f"page{'s' if listing.pages != 1 else ''}.", hint=f"Go back to {PATH}.")
    return render(request, "trending.html", listing=listing, rules=RULES, page_url=page_url,
                  canonical=absolute(request, page_url(listing.page)))


@router.get("/feeds/trending.{fmt}")
def trending_feed(request: Request, fmt: str, session: Session = Depends(db_session)) -> Response:
    """The trending papers as RSS 2.0 or Atom, highest score first."""
    if fmt not in FORMATS:
        raise NotFound(f"there is no .{fmt} feed", hint="Feeds end in .rss or .atom.")
    settings = app_settings(request)
    meta = FeedMeta(titled("Trending papers", settings.site_name), settings.effective_base_url + PATH,
                    str(request.url), f"Papers by trending score on {settings.site_name}: recent votes, "
                    "comments and code stars, minus a point a day of age")
    cards = [t.card for t in trending_cards(session, limit=FEED_LIMIT)]
    return Response(build_feed(meta, cards, settings.effective_base_url, fmt), media_type=FORMATS[fmt])
