"""Public collections: a page and RSS/Atom feeds anyone can read, at /u/{name}/c/{slug}.

These answers change when a member saves a paper, which moves no data version, so they say
``private, no-cache``: the page cache (``web/cache.py``) never keeps an answer that says ``private``,
and browsers check again each time.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION, app_settings
from paperstand.errors import NotFound
from paperstand.feeds.build import FORMATS, FeedMeta, build_feed, titled
from paperstand.library.items import item_page
from paperstand.library.public import public_collection
from paperstand.web.render import render
from paperstand.web.votes import viewer_id

router = APIRouter(include_in_schema=False)
# Not served stale: see the module's docstring.
FRESH = "private, no-cache"
# The most entries a collection's feed carries: the newest saves.
FEED_LIMIT = 100


# Before the page: ``{slug}`` alone would also match ``reading.rss``.
@router.get("/u/{name}/c/{slug}.{fmt}")
def collection_feed(request: Request, name: str, slug: str, fmt: str, session: Session = DB_SESSION) -> Response:
    """A public collection's newest saves as RSS 2.0 or Atom."""
    if fmt not in FORMATS:
        raise NotFound(f"there is no .{fmt} feed", hint="Feeds end in .rss or .atom.")
    found = public_collection(session, name=name, slug=slug)
    settings = app_settings(request)
    page = f"{settings.effective_base_url}/u/{found.owner_name}/c/{found.collection.slug}"
    meta = FeedMeta(titled(f"{found.collection.name} by @{found.owner_name}", settings.site_name), page,
                    str(request.url), found.collection.description or f"Papers @{found.owner_name} saved")
    listing = item_page(session, collection=found.collection, per_page=FEED_LIMIT)
    body = build_feed(meta, [e.card for e in listing.entries], settings.effective_base_url, fmt)
    return Response(body, media_type=FORMATS[fmt], headers={"Cache-Control": FRESH})


@router.get("/u/{name}/c/{slug}", response_class=HTMLResponse)
def collection_page(request: Request, name: str, slug: str, p: Annotated[int, Query(ge=1, le=100_000)] = 1,
                    session: Session = DB_SESSION) -> HTMLResponse:
    """A public collection: its papers, newest save first, with its member's notes."""
    found = public_collection(session, name=name, slug=slug)
    listing = item_page(session, collection=found.collection, page=p, member_id=viewer_id(request))
    base = f"/u/{found.owner_name}/c/{found.collection.slug}"
    response = render(request, "library_public.html", found=found, listing=listing, base=base,
                      page_url=lambda n: base + (f"?p={n}" if n > 1 else ""))
    if "no-store" not in response.headers.get("Cache-Control", ""):
        response.headers["Cache-Control"] = FRESH
    return response
