"""The member's library pages: /library (their collections) and /library/{slug} (one collection's papers).

Every page here is the member's own: ``render`` marks it private, so the page cache never keeps it.
The forms that change a library are in ``web/library_forms.py``; exports and imports in ``library_io.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, pass_context
from sqlalchemy.orm import Session

from paperstand.accounts.errors import LoginRequired
from paperstand.accounts.models import Member
from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.library.items import item_page, parse_show
from paperstand.library.search import library_search
from paperstand.library.service import Shelf, get_collection, saved_paper_ids, shelves
from paperstand.search.service import MODES
from paperstand.web.auth import viewer
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)

# What a redirect back to a library page says was done (``?done=``); anything else shows nothing.
DONE = {
    "created": "Collection created.", "saved": "Saved.", "deleted": "Collection deleted.",
    "removed": "Removed from the collection.", "note": "Note saved.", "read": "Marked as read.",
    "unread": "Marked as unread.", "public": "The collection is public now: anyone with its address can read it.",
    "private": "The collection is private now.",
}


def library_member(request: Request) -> Member:
    """The logged-in member whose library this is; anonymous visitors are sent to log in."""
    member = viewer(request)
    if member is None:
        raise LoginRequired("you need to be logged in", hint="Log in to see your library.")
    return member


@router.get("/library", response_class=HTMLResponse)
def library_page(request: Request, done: Annotated[str, Query(max_length=40)] = "",
                 session: Session = DB_SESSION) -> HTMLResponse:
    """The member's collections with their counts, a form for a new one, and a search box over them all."""
    member = library_member(request)
    return render(request, "library.html", shelves=shelves(session, member_id=member.id), done=DONE.get(done),
                  modes=MODES, form={"q": "", "mode": "hybrid", "in": ""})


@router.get("/library/search", response_class=HTMLResponse)
def library_search_page(request: Request, settings: SettingsDep, session: Session = DB_SESSION,
                        q: Annotated[str, Query(max_length=500)] = "",
                        mode: Annotated[str, Query(max_length=16)] = "hybrid",
                        within: Annotated[str, Query(alias="in", max_length=80)] = "",
                        p: Annotated[int, Query(ge=1, le=1000)] = 1) -> HTMLResponse:
    """Search the member's saved papers (all collections, or ``?in=`` one) with the site's query language."""
    member = library_member(request)
    found = library_search(session, member_id=member.id, text=q, mode=mode, slug=within or None,
                           settings=settings, page=p)
    form = {"q": q, "mode": mode, "in": within}

    def page_url(number: int) -> str:
        return "/library/search?" + urlencode({**{k: v for k, v in form.items() if v}, "p": number})

    return render(request, "library_search.html", 400 if found.error else 200, found=found, form=form,
                  modes=MODES, page_url=page_url, shelves=shelves(session, member_id=member.id))


@router.get("/library/{slug}", response_class=HTMLResponse)
def collection_page(request: Request, slug: str, done: Annotated[str, Query(max_length=40)] = "",
                    show: Annotated[str, Query(max_length=10)] = "all",
                    p: Annotated[int, Query(ge=1, le=100_000)] = 1, session: Session = DB_SESSION) -> HTMLResponse:
    """One collection: its papers (newest save first) with notes, read marks and remove buttons, and its settings."""
    member = library_member(request)
    collection = get_collection(session, member_id=member.id, slug=slug)
    listing = item_page(session, collection=collection, page=p, show=parse_show(show), member_id=member.id)

    def page_url(number: int) -> str:
        query = {k: v for k, v in (("show", listing.show if listing.show != "all" else ""), ("p", number)) if v}
        return f"/library/{collection.slug}" + ("?" + urlencode(query) if number > 1 or query else "")

    return render(request, "library_collection.html", c=collection, listing=listing, done=DONE.get(done),
                  page_url=page_url, here=page_url(listing.page), modes=MODES,
                  form={"q": "", "mode": "hybrid", "in": collection.slug})


@pass_context
def in_reading_list(context: Any, paper_id: int) -> bool:
    """Whether the page's viewer has this paper in their Reading list (one query per request, for every card)."""
    request: Request | None = context.get("request")
    member = context.get("viewer")
    if request is None or member is None:
        return False
    saved: set[int] | None = getattr(request.state, "library_saved", None)
    if saved is None:
        with request.app.state.sessions() as session:
            saved = saved_paper_ids(session, member_id=member.id)
        request.state.library_saved = saved
    return paper_id in saved


@pass_context
def save_choices(context: Any) -> list[tuple[str, str]]:
    """The viewer's collections as (slug, name), for the paper page's "save to" menu."""
    request: Request | None = context.get("request")
    member = context.get("viewer")
    if request is None or member is None:
        return []
    with request.app.state.sessions() as session:
        return [(s.collection.slug, s.collection.name) for s in shelves(session, member_id=member.id)]


@pass_context
def public_shelves(context: Any, member_id: int) -> list[Shelf]:
    """A member's public collections with their counts, for their profile (pages under /u/ are never cached)."""
    request: Request | None = context.get("request")
    if request is None:
        return []
    with request.app.state.sessions() as session:
        return [s for s in shelves(session, member_id=member_id) if s.collection.public]


def install(env: Environment) -> None:
    """Register the save button's and the profile's globals on the app's template environment."""
    env.globals["in_reading_list"] = in_reading_list
    env.globals["save_choices"] = save_choices
    env.globals["public_shelves"] = public_shelves


def now() -> datetime:
    """The time a library change is stamped with."""
    return datetime.now(UTC)
