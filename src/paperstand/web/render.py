"""Turning a page's context into an HTML response, and the small checks every listing page shares."""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from paperstand.deps import app_settings
from paperstand.errors import BadRequest, DomainError, NotFound
from paperstand.papers import periods
from paperstand.papers.periods import BadPeriod, Period
from paperstand.papers.queries import PAGE_SORTS, PageSort, PaperCard, PeriodPage
from paperstand.web.auth import viewer
from paperstand.web.csrf import csrf_token, remember_csrf
from paperstand.web.templating import period_url


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page template with ``context``, the app's settings as ``site`` and the logged-in ``viewer``.

    A member's page holds their forms (votes, comments), so it gets a CSRF token as ``csrf`` and is marked
    private; an anonymous page carries neither and stays cacheable. A page showing a ``DomainError`` as
    ``error`` carries that error's headers (``Retry-After`` when trying later may work), as its JSON answer does.
    """
    member = viewer(request)
    if member is not None:
        context.setdefault("csrf", csrf_token(request))
    error = context.get("error")
    response: HTMLResponse = request.app.state.templates.TemplateResponse(
        request, template, {"site": app_settings(request), "viewer": member, **context}, status_code=status,
        headers=error.headers() if isinstance(error, DomainError) else None)
    if member is not None:
        remember_csrf(request, response)
    return response


def absolute(request: Request, path: str) -> str:
    """``path`` on the public base URL (for canonical links)."""
    return app_settings(request).effective_base_url + path


def parse_period(text: str, kinds: tuple[str, ...], example: str) -> Period:
    """``papers.periods.parse_period`` for an address: a bad value is a 400 page naming the format and ``example``."""
    try:
        return periods.parse_period(text, kinds)
    except BadPeriod as exc:
        expected = " or ".join(periods.FORMATS[kind][0] for kind in kinds)
        raise BadRequest(str(exc), hint=f"The address takes {expected}, for example {example}.") from None


# The sort switch of listing pages, in the order it shows them.
SORT_LABELS: dict[PageSort, str] = {"top": "Top", "curated": "Curated order", "new": "Newest"}
DEFAULT_SORT: PageSort = "top"


def parse_sort(text: str) -> PageSort:
    """A listing's ``?sort=`` value, or a 400 page naming the values it takes."""
    for sort in PAGE_SORTS:
        if text == sort:
            return sort
    raise BadRequest("sort: unknown order.", hint="The address takes ?sort=top (most upvoted first, the default), "
                     "?sort=curated (the order the day's papers were picked in) or ?sort=new (newest on arXiv).")


def listing_url(period: Period, page: int = 1, sort: PageSort = DEFAULT_SORT) -> str:
    """The address of page ``page`` of a period in order ``sort``, leaving out defaults."""
    query = [f"p={page}"] if page > 1 else []
    if sort != DEFAULT_SORT:
        query.append(f"sort={sort}")
    return period_url(period) + ("?" + "&".join(query) if query else "")


def check_page(listing: PeriodPage) -> None:
    """A page number past the last page is a 404, naming how many pages there are."""
    if listing.page > listing.pages:
        raise NotFound(f"page {listing.page} does not exist: this listing has {listing.pages} "
                       f"page{'s' if listing.pages != 1 else ''}.", hint="Go back to page 1.")


def by_day(cards: list[PaperCard]) -> list[tuple[date | None, list[PaperCard]]]:
    """Cards grouped by the day they were featured, keeping their (newest day first) order."""
    return [(day, list(group)) for day, group in groupby(cards, key=lambda c: c.pick.day if c.pick else None)]
