"""Moderation pages: the public log at /moderation, the moderators' queue, and the moderators' forms.

Every form checks its CSRF token, then the ``moderate`` right (members get a 403), then calls one
service function, which writes the public log row in the same transaction as the change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.community import comments, moderation
from paperstand.community import moderation_queries as queries
from paperstand.community.comments import MAX_ID
from paperstand.deps import DB_SESSION
from paperstand.errors import BadRequest, NotFound
from paperstand.web.auth import require
from paperstand.web.comments import anchor
from paperstand.web.csrf import check_csrf
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Csrf = Annotated[str, Form(max_length=200)]
Reason = Annotated[str, Form(max_length=4000)]
QUEUE = "/moderation/queue"


def _to_queue() -> RedirectResponse:
    return RedirectResponse(QUEUE, status_code=303)


def _moderator(request: Request, csrf: str) -> int:
    """The acting moderator's id, after the CSRF check (a forged form is a 403 for anyone)."""
    check_csrf(request, csrf)
    return require(request, "moderate").id


@router.get("/moderation", response_class=HTMLResponse)
def moderation_log(request: Request, p: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
                   session: Session = DB_SESSION) -> HTMLResponse:
    """The public moderation log: every hide, restore, ban and dismissed report, who did it, when and why."""
    total = queries.count_log(session)
    pages = max(1, -(-total // queries.LOG_PAGE))
    if p > pages:
        raise NotFound(f"page {p} does not exist: the moderation log has {pages} page{'s' if pages != 1 else ''}.",
                       hint="Go back to page 1.")
    return render(request, "moderation.html", entries=queries.log_page(session, page=p), page=p, pages=pages,
                  total=total)


@router.get("/moderation/queue", response_class=HTMLResponse)
def moderation_queue(request: Request, session: Session = DB_SESSION) -> HTMLResponse:
    """Reported comments waiting for a moderator, recent submissions, and the ban form."""
    require(request, "moderate")
    return render(request, "moderation_queue.html", queue=queries.queue(session),
                  waiting=queries.count_open_reports(session),
                  submissions=queries.recent_submissions(session))


@router.post("/moderation/comments/{comment_id}/{action}")
def moderate_comment(request: Request, comment_id: Id, action: Literal["hide", "unhide", "dismiss"],
                     reason: Reason = "", csrf: Csrf = "", back: Annotated[str, Form(max_length=10)] = "",
                     session: Session = DB_SESSION) -> Response:
    """Hide or restore a comment, or dismiss its reports; back to the queue or to the comment."""
    moderator = _moderator(request, csrf)
    act = {"hide": moderation.hide_comment, "unhide": moderation.unhide_comment,
           "dismiss": moderation.dismiss_flags}[action]
    act(session, comment_id=comment_id, moderator_id=moderator, reason=reason, now=datetime.now(UTC))
    if back == "queue" or action == "dismiss":
        return _to_queue()
    comment, paper = comments.comment_with_paper(session, comment_id)
    return anchor(paper, comment)


@router.post("/moderation/submissions/{pick_id}/{action}")
def moderate_submission(request: Request, pick_id: Id, action: Literal["hide", "unhide"], reason: Reason = "",
                        csrf: Csrf = "", session: Session = DB_SESSION) -> Response:
    """Hide a paper's place on a day's list (or restore it), with a public reason."""
    moderator = _moderator(request, csrf)
    moderation.hide_submission(session, pick_id=pick_id, moderator_id=moderator, reason=reason,
                               now=datetime.now(UTC), hidden=action == "hide")
    return _to_queue()


@router.post("/moderation/submissions")
def hide_listed(request: Request, paper: Annotated[str, Form(max_length=200)] = "",
                day: Annotated[str, Form(max_length=20)] = "", reason: Reason = "", csrf: Csrf = "",
                session: Session = DB_SESSION) -> Response:
    """Hide a paper from one day's list, by its id and the day."""
    moderator = _moderator(request, csrf)
    moderation.hide_listed(session, paper_id=paper.strip(), day=_day(day), moderator_id=moderator, reason=reason,
                           now=datetime.now(UTC))
    return _to_queue()


@router.post("/moderation/members")
def ban(request: Request, name: Annotated[str, Form(max_length=100)] = "",
        action: Annotated[Literal["ban", "unban"], Form()] = "ban", reason: Reason = "", csrf: Csrf = "",
        session: Session = DB_SESSION) -> Response:
    """Ban or unban a member by name; the public log shows it."""
    moderator = _moderator(request, csrf)
    moderation.ban_member(session, name=name, banned=action == "ban", reason=reason, moderator_id=moderator,
                          now=datetime.now(UTC))
    return RedirectResponse("/moderation", status_code=303)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest("moderation: the day must be a date such as 2025-03-11") from None
