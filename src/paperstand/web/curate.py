"""Curating a day: the curators' page (add, remove, move, mark picks) and the day's public curation log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.community import curation
from paperstand.community.arxiv_lookup import lookup_on
from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.errors import BadRequest, DomainError
from paperstand.papers.models import DailyPick
from paperstand.web.auth import require
from paperstand.web.csrf import check_csrf
from paperstand.web.render import parse_period, render

router = APIRouter(include_in_schema=False)
EXAMPLE = "/papers/date/2025-03-11/curate"
Csrf = Annotated[str, Form(max_length=200)]
PickId = Annotated[str, Form(max_length=12)]


def _day(text: str) -> date:
    return parse_period(text, ("day",), EXAMPLE).start


def _pick_id(text: str) -> int:
    if not text.isdigit() or len(text) > 10:
        raise BadRequest("pick: not a pick of this day", hint="Use the buttons on the curate page.")
    return int(text)


def _page(request: Request, session: Session, day: date, status: int = 200, *, error: DomainError | None = None,
          typed: str = "") -> HTMLResponse:
    shown, hidden = curation.day_entries(session, day)
    return render(request, "curate.html", status, day=day, entries=shown, hidden=hidden, error=error, typed=typed,
                  removed_reason=curation.REMOVED, moves=curation.MOVES)


@router.get("/papers/date/{day}/curate", response_class=HTMLResponse)
def curate_page(request: Request, day: str, session: Session = DB_SESSION) -> HTMLResponse:
    """A day's list with the curator's controls (curators and admins only)."""
    require(request, "curate")
    return _page(request, session, _day(day))


@router.get("/papers/date/{day}/log", response_class=HTMLResponse)
def curation_log(request: Request, day: str, session: Session = DB_SESSION) -> HTMLResponse:
    """Every curation step of a day: who did what to which paper, and when."""
    when = _day(day)
    return render(request, "curation_log.html", day=when, lines=curation.day_log(session, when))


def _done(request: Request, session: Session, day: date, run: Callable[[], DailyPick | None], *,
          typed: str = "") -> Response:
    """Run one step; back to the page (at the paper) when it worked, or the page with the reason when not."""
    try:
        pick = run()
    except DomainError as exc:
        if exc.status == 401:
            raise
        session.rollback()
        return _page(request, session, day, exc.status, error=exc, typed=typed)
    anchor = f"#pick-{pick.id}" if pick is not None else ""
    return RedirectResponse(f"/papers/date/{day.isoformat()}/curate{anchor}", status_code=303)


def _curator(request: Request, csrf: str) -> Member:
    check_csrf(request, csrf)
    return require(request, "curate")


@router.post("/papers/date/{day}/curate/add", response_class=HTMLResponse)
def add(request: Request, day: str, settings: SettingsDep, csrf: Csrf = "",
        paper: Annotated[str, Form(max_length=2000)] = "", session: Session = DB_SESSION) -> Response:
    """Add a paper (by arXiv id or link, fetched from arXiv if not stored) to the end of the day's list."""
    member, when = _curator(request, csrf), _day(day)
    return _done(request, session, when, lambda: curation.add(
        session, curator=member, day=when, text=paper, now=datetime.now(UTC),
        fetch_paper=lookup_on(request.app.state, settings)), typed=paper)


@router.post("/papers/date/{day}/curate/remove", response_class=HTMLResponse)
def remove(request: Request, day: str, csrf: Csrf = "", pick: PickId = "",
           session: Session = DB_SESSION) -> Response:
    """Take a paper off the day's list."""
    member, when, pick_id = _curator(request, csrf), _day(day), _pick_id(pick)
    return _done(request, session, when, lambda: curation.remove(
        session, curator=member, day=when, pick_id=pick_id, now=datetime.now(UTC)))


@router.post("/papers/date/{day}/curate/move", response_class=HTMLResponse)
def move(request: Request, day: str, csrf: Csrf = "", pick: PickId = "",
         to: Annotated[str, Form(max_length=12)] = "", session: Session = DB_SESSION) -> Response:
    """Move a paper up, down, first, last or to a position."""
    member, when, pick_id = _curator(request, csrf), _day(day), _pick_id(pick)
    return _done(request, session, when, lambda: curation.move(
        session, curator=member, day=when, pick_id=pick_id, to=to, now=datetime.now(UTC)))


@router.post("/papers/date/{day}/curate/pick", response_class=HTMLResponse)
def mark(request: Request, day: str, csrf: Csrf = "", pick: PickId = "",
         picked: Annotated[str, Form(max_length=1)] = "1", session: Session = DB_SESSION) -> Response:
    """Mark (``picked=1``) or unmark (``picked=0``) a curator's pick."""
    member, when, pick_id = _curator(request, csrf), _day(day), _pick_id(pick)
    if picked not in ("0", "1"):
        raise BadRequest("picked: 1 marks a pick, 0 unmarks it")
    return _done(request, session, when, lambda: curation.set_pick(
        session, curator=member, day=when, pick_id=pick_id, picked=picked == "1", now=datetime.now(UTC)))
