"""/for-you: a member's recommended papers of a period, the first-visit choices, and 👍/👎 on each paper."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.errors import BadRequest
from paperstand.papers.categories import category_groups
from paperstand.papers.periods import BadPeriod
from paperstand.recommend import actions
from paperstand.recommend.actions import RecommendError
from paperstand.recommend.pages import for_you_view
from paperstand.recommend.service import choose_period
from paperstand.web.account_forms import member_of, now
from paperstand.web.auth import require
from paperstand.web.csrf import check_csrf
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=200)]
PeriodText = Annotated[str, Query(max_length=40)]
# Member pages are theirs alone: never kept by a browser or a shared cache.
PRIVATE = {"Cache-Control": "private, no-store"}
# What a rating button sends, and the rating it stores.
RATINGS = {"up": 1, "down": -1, "not-interested": -1}
# The longest address a form may ask to go back to.
MAX_NEXT = 2000
# What a redirect back to /for-you says was done (``?done=``); anything else shows nothing.
DONE = {
    "up": "Noted: more like this.",
    "down": "Noted: fewer like this. The paper is gone from your list.",
    "not-interested": "Noted: the paper is gone from your list.",
    "start": "Saved. Rate a few of these papers to sharpen your list.",
    "paused": "Personalisation is paused: you see the most upvoted papers until you resume.",
    "resumed": "Personalisation is back on.",
    "reset": "Your recommendations start over: earlier signals are ignored from now on.",
}


def back_to(target: str, fallback: str = "/for-you") -> str:
    """``target`` when it is a path on this site, else ``fallback`` (a form cannot send a member elsewhere)."""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target or ":" in target.split("?")[0]:
        return fallback
    return target


def _with_done(path: str, done: str) -> str:
    base, _, anchor = path.partition("#")
    joined = f"{base}{'&' if '?' in base else '?'}done={done}"
    return f"{joined}#{anchor}" if anchor else joined


@router.get("/for-you", response_class=HTMLResponse)
def for_you_page(request: Request, settings: SettingsDep, date: PeriodText = "", week: PeriodText = "",
                 month: PeriodText = "", done: Annotated[str, Query(max_length=40)] = "",
                 session: Session = DB_SESSION) -> HTMLResponse:
    """The member's best unseen papers of a period (the latest week by default), each with why."""
    member = member_of(request)
    try:
        period = choose_period(session, date=date or None, week=week or None, month=month or None)
    except BadPeriod as exc:
        raise BadRequest(str(exc), hint="Use ?date=2025-03-11, ?week=2025-W11 or ?month=2025-03.") from None
    view = for_you_view(session, member_id=member.id, period=period, settings=settings)
    response = render(request, "for_you.html", view=view, done=DONE.get(done), groups=category_groups(),
                      query=f"?{request.url.query}" if request.url.query else "")
    response.headers.update(PRIVATE)
    return response


@router.post("/for-you/rate")
def rate(request: Request, csrf: Csrf = "", paper: Annotated[int, Form(ge=0, le=2**62)] = 0,
         rating: Annotated[str, Form(max_length=20)] = "",
         source: Annotated[str, Form(max_length=16)] = "page",
         next_page: Annotated[str, Form(alias="next", max_length=MAX_NEXT)] = "",
         session: Session = DB_SESSION) -> Response:
    """👍 (``rating=up``), 👎 (``down``) or "not interested" on a paper; back to ``next``."""
    check_csrf(request, csrf)
    member = require(request, "vote")
    if rating not in RATINGS:
        raise BadRequest("rating must be up, down or not-interested")
    try:
        actions.rate(session, member_id=member.id, paper_id=paper, rating=RATINGS[rating],
                     source=source if source in ("page", "start", "digest") else "page", now=now())
    except RecommendError as exc:
        raise BadRequest(str(exc)) from None
    session.commit()
    return RedirectResponse(_with_done(back_to(next_page), rating), status_code=303)


@router.post("/for-you/start")
async def start(request: Request, session: Session = DB_SESSION) -> Response:
    """The first visit's categories (checkboxes named ``category``); the list then suggests papers to rate."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", ""))[:200])
    member = member_of(request)
    picked = [str(v)[:40] for v in form.getlist("category")][:200]
    try:
        actions.pick_categories(session, member_id=member.id, categories=picked, now=now())
    except RecommendError as exc:
        raise BadRequest(str(exc)) from None
    session.commit()
    return RedirectResponse("/for-you?done=start", status_code=303)


@router.post("/for-you/pause")
def pause(request: Request, csrf: Csrf = "", paused: Annotated[str, Form(max_length=10)] = "on",
          next_page: Annotated[str, Form(alias="next", max_length=MAX_NEXT)] = "",
          session: Session = DB_SESSION) -> Response:
    """Pause (``paused=on``) or resume (``off``) personalisation."""
    check_csrf(request, csrf)
    member = member_of(request)
    actions.set_paused(session, member_id=member.id, paused=paused == "on", now=now())
    session.commit()
    return RedirectResponse(_with_done(back_to(next_page), "paused" if paused == "on" else "resumed"),
                            status_code=303)


@router.post("/for-you/reset")
def reset(request: Request, csrf: Csrf = "", session: Session = DB_SESSION) -> Response:
    """Start over: every signal so far is ignored, and the first visit's choices are offered again."""
    check_csrf(request, csrf)
    member = member_of(request)
    actions.reset(session, member_id=member.id, now=now())
    session.commit()
    return RedirectResponse("/for-you?done=reset", status_code=303)
