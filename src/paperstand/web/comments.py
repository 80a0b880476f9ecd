"""Comment forms: post and reply on a paper page, edit, delete and report; the paper page's comment section.

Every post checks its CSRF token first (a form from elsewhere is a 403 whoever sends it), then the
member's right, then calls one service function and answers 303 to the comment on its paper page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.accounts.roles import allowed
from paperstand.community import comments, moderation
from paperstand.community.comments import MAX_ID, ThreadComment
from paperstand.community.models import Comment
from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.errors import BadRequest
from paperstand.papers.links import paper_path
from paperstand.papers.models import Paper
from paperstand.web.auth import require, viewer
from paperstand.web.csrf import check_csrf
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)

CommentId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Form fields take a little more than a comment may hold, so an overlong one gets the service's message.
Body = Annotated[str, Form(max_length=comments.MAX_BODY * 2)]
Csrf = Annotated[str, Form(max_length=200)]
Reason = Annotated[str, Form(max_length=4000)]


@dataclass
class CommentsSection:
    """What the paper page's comment section shows, for one viewer (anonymous: the same for everyone)."""

    paper: Paper
    thread: list[ThreadComment]
    viewer_id: int | None
    can_comment: bool
    can_flag: bool
    can_moderate: bool
    now: datetime

    @property
    def count(self) -> int:
        """Visible comments in the thread."""
        return sum(1 for root in self.thread for node in root.walk() if node.state == "visible")

    @property
    def action(self) -> str:
        """Where the comment and reply forms post."""
        return f"{paper_path(self.paper)}/comments"

    def form_key(self) -> str:
        """A fresh idempotency key for one form: resending that form (a double click, a retry) posts once."""
        return secrets.token_urlsafe(18)

    def editable(self, node: ThreadComment) -> bool:
        """Whether the viewer may still edit ``node``."""
        return node.editable_by(self.viewer_id, self.now)


def comments_section(request: Request, session: Session, paper: Paper) -> CommentsSection:
    """The comment section of ``paper``'s page for this request's viewer."""
    member = viewer(request)
    return CommentsSection(paper, comments.thread(session, paper_id=paper.id), member.id if member else None,
                           allowed(member, "comment"), allowed(member, "flag"), allowed(member, "moderate"),
                           datetime.now(UTC))


def anchor(paper: Paper, comment: Comment) -> RedirectResponse:
    """303 to ``comment`` on its paper's page."""
    return RedirectResponse(f"{paper_path(paper)}#comment-{comment.id}", status_code=303)


def _parent(text: str) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise BadRequest("comment: parent must be a comment id", hint="Use the Reply button under a comment.")
    return int(text)


@router.get("/papers/{paper_id:path}/comments")
def thread_address(paper_id: str, session: Session = DB_SESSION) -> RedirectResponse:
    """The thread lives on the paper page: a reload of a failed post, or a guessed address, lands there."""
    return RedirectResponse(f"{paper_path(comments.paper_for(session, paper_id))}#comments", status_code=301)


@router.post("/papers/{paper_id:path}/comments", response_class=HTMLResponse)
def post_comment(request: Request, paper_id: str, settings: SettingsDep, body: Body = "", csrf: Csrf = "",
                 parent: Annotated[str, Form(max_length=20)] = "", key: Annotated[str, Form(max_length=200)] = "",
                 session: Session = DB_SESSION) -> Response:
    """Post a comment (or, with ``parent``, a reply) and go to it; a bad one comes back with the message."""
    check_csrf(request, csrf)
    member = require(request, "comment")
    try:
        posted = comments.post(session, paper_id=paper_id, member_id=member.id, body=body,
                               parent_id=_parent(parent), idempotency_key=key or None, now=datetime.now(UTC),
                               site_url=settings.effective_base_url)
    except BadRequest as exc:
        return render(request, "comment_page.html", 400, mode="post", error=exc.message, hint=exc.hint, body=body,
                      action=request.url.path, back=request.url.path.removesuffix("/comments"), parent=parent,
                      key=key)
    return anchor(posted.paper, posted.comment)


@router.get("/comments/{comment_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, comment_id: CommentId,
              session: Session = DB_SESSION) -> Response:
    """The edit form, while the comment can still be edited."""
    member = require(request, "comment")
    comment, paper = comments.editable(session, comment_id=comment_id, member_id=member.id, now=datetime.now(UTC))
    return render(request, "comment_page.html", mode="edit", comment=comment, paper=paper, body=comment.body)


@router.post("/comments/{comment_id}/edit", response_class=HTMLResponse)
def edit(request: Request, comment_id: CommentId, settings: SettingsDep, body: Body = "", csrf: Csrf = "",
         session: Session = DB_SESSION) -> Response:
    """Save an edit and go back to the comment."""
    check_csrf(request, csrf)
    member = require(request, "comment")
    try:
        comment, paper = comments.edit(session, comment_id=comment_id, member_id=member.id, body=body,
                                       now=datetime.now(UTC), site_url=settings.effective_base_url)
    except BadRequest as exc:
        comment, paper = comments.comment_with_paper(session, comment_id)
        return render(request, "comment_page.html", 400, mode="edit", error=exc.message, hint=exc.hint, body=body,
                      comment=comment, paper=paper)
    return anchor(paper, comment)


@router.get("/comments/{comment_id}/delete", response_class=HTMLResponse)
def delete_form(request: Request, comment_id: CommentId,
                session: Session = DB_SESSION) -> Response:
    """Ask before deleting (a link a crawler follows changes nothing)."""
    member = require(request, "comment")
    comment, paper = comments.deletable(session, comment_id=comment_id, member_id=member.id)
    return render(request, "comment_page.html", mode="delete", comment=comment, paper=paper)


@router.post("/comments/{comment_id}/delete")
def delete(request: Request, comment_id: CommentId, csrf: Csrf = "",
           session: Session = DB_SESSION) -> Response:
    """Delete one's own comment; it reads "[deleted]" and its replies stay."""
    check_csrf(request, csrf)
    member = require(request, "comment")
    comment, paper = comments.delete(session, comment_id=comment_id, member_id=member.id, now=datetime.now(UTC))
    return anchor(paper, comment)


@router.get("/comments/{comment_id}/flag", response_class=HTMLResponse)
def flag_form(request: Request, comment_id: CommentId, session: Session = DB_SESSION) -> Response:
    """The report form: a reason for the moderators."""
    require(request, "flag")
    comment, paper = comments.comment_with_paper(session, comment_id)
    return render(request, "comment_page.html", mode="flag", comment=comment, paper=paper)


@router.post("/comments/{comment_id}/flag", response_class=HTMLResponse)
def flag(request: Request, comment_id: CommentId, reason: Reason = "", csrf: Csrf = "",
         session: Session = DB_SESSION) -> Response:
    """Report a comment to the moderators (once per member)."""
    check_csrf(request, csrf)
    member = require(request, "flag")
    try:
        new = moderation.flag(session, comment_id=comment_id, member_id=member.id, reason=reason,
                              now=datetime.now(UTC))
    except BadRequest as exc:
        comment, paper = comments.comment_with_paper(session, comment_id)
        return render(request, "comment_page.html", 400, mode="flag", comment=comment, paper=paper,
                      error=exc.message, hint=exc.hint, reason=reason)
    comment, paper = comments.comment_with_paper(session, comment_id)
    return render(request, "comment_page.html", mode="flagged", comment=comment, paper=paper, new=new)
