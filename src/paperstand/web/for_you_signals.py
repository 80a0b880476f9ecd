"""/for-you/signals: every upvote, save and rating the recommendations learn from, each removable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION
from paperstand.errors import BadRequest
from paperstand.recommend import actions
from paperstand.recommend.actions import RecommendError
from paperstand.recommend.pages import signals_view
from paperstand.web.account_forms import member_of
from paperstand.web.csrf import check_csrf
from paperstand.web.for_you import PRIVATE
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=200)]
# What removing a signal of each kind undoes, for the confirmation line.
REMOVED = {"upvote": "The upvote is taken back.", "save": "The paper is removed from your collections.",
           "like": "The 👍 is removed.", "dislike": "The 👎 is removed."}


@router.get("/for-you/signals", response_class=HTMLResponse)
def signals_page(request: Request, p: Annotated[int, Query(ge=1, le=10**6)] = 1,
                 done: Annotated[str, Query(max_length=20)] = "", session: Session = DB_SESSION) -> HTMLResponse:
    """What the recommendations learn from, newest first, with a remove button on each."""
    member = member_of(request)
    view = signals_view(session, member_id=member.id, page=p)
    response = render(request, "for_you_signals.html", view=view, done=REMOVED.get(done))
    response.headers.update(PRIVATE)
    return response


@router.post("/for-you/signals/remove")
def remove(request: Request, csrf: Csrf = "", paper: Annotated[int, Form(ge=0, le=2**62)] = 0,
           kind: Annotated[str, Form(max_length=20)] = "", session: Session = DB_SESSION) -> Response:
    """Remove one signal: a rating, an upvote, or the paper's saves."""
    check_csrf(request, csrf)
    member = member_of(request)
    try:
        actions.remove_signal(session, member_id=member.id, paper_id=paper, kind=kind)
    except RecommendError as exc:
        raise BadRequest(str(exc)) from None
    session.commit()
    return RedirectResponse(f"/for-you/signals?done={kind}", status_code=303)
