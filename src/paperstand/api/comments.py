"""Comments in the JSON API: a paper's thread (public) and posting one (``Authorization: Bearer``).

The handlers call the same service functions as the forms on the paper page (``community.comments``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.orm import Session

from paperstand.api.serialize import hf_time
from paperstand.community import comments
from paperstand.community.models import Comment
from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.web.auth import require_api

router = APIRouter(tags=["comments"])

# The form and JSON bodies take a little more than a comment may hold, so an overlong comment gets
# the service's message (which says how long it is) rather than a bare validation error.
_MAX_FIELD = comments.MAX_BODY * 2
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid body, parent or key, as `{\"error\": \"...\", \"status\": 400}`."},
    404: {"description": "No such paper (or parent comment)."},
}


class CommentOut(BaseModel):
    """A comment as the API shows it; a deleted or hidden one keeps its place without its text."""

    model_config = ConfigDict(populate_by_name=True)

    id: int = Field(description="The comment's id (its anchor on the paper page is `#comment-<id>`).")
    parent_id: int | None = Field(alias="parentId", description="The comment it replies to; null at the top.")
    author: str = Field(description="The member's name (their page is `/u/<name>`).")
    created_at: str = Field(alias="createdAt", description="When it was posted (UTC, milliseconds).")
    edited_at: str | None = Field(alias="editedAt", description="When its author last edited it, if ever.")
    status: Literal["visible", "hidden", "deleted"] = Field(description="Deleted by its author, hidden by a "
                                                                       "moderator, or visible.")
    body: str | SkipJsonSchema[None] = Field(None, description="The Markdown as typed (visible comments only).")
    html: str | SkipJsonSchema[None] = Field(None, description="The Markdown rendered and sanitised.")
    hidden_reason: str | SkipJsonSchema[None] = Field(None, alias="hiddenReason",
                                                      description="Why a moderator hid it (public, as in /moderation).")


class CommentIn(BaseModel):
    """A new comment or reply."""

    body: str = Field(max_length=_MAX_FIELD, description=f"Markdown, 1 to {comments.MAX_BODY:,} characters; "
                      "`@name` mentions a member (and mails them, unless they turned that off).")
    parent_id: int | None = Field(None, ge=1, le=comments.MAX_ID,
                                  description="The comment this replies to, on the same paper.")
    idempotency_key: str | None = Field(None, max_length=200, description=(
        "Same as the `Idempotency-Key` header (the header wins when both are sent)."))


def comment_json(comment: Comment, author: str) -> dict[str, Any]:
    """One comment as ``CommentOut``'s JSON."""
    node = comments.ThreadComment(comment, author)
    out: dict[str, Any] = {"id": comment.id, "parentId": comment.parent_id, "author": author,
                           "createdAt": hf_time(comment.created_at),
                           "editedAt": hf_time(comment.edited_at) if comment.edited_at else None,
                           "status": node.state}
    if node.state == "visible":
        out["body"], out["html"] = comment.body, comment.html
    elif node.state == "hidden":
        out["hiddenReason"] = comment.hidden_reason or ""
    return out


@router.get("/api/papers/{paper_id:path}/comments", response_model=list[CommentOut], responses=_ERRORS,
            response_description="A bare JSON array: the thread in reading order (each reply after its parent).")
def list_comments(paper_id: str, session: Session = DB_SESSION) -> JSONResponse:
    """A paper's comments, oldest first, replies right after the comment they answer."""
    _, top = comments.paper_thread(session, paper_id=paper_id)
    return JSONResponse([comment_json(n.comment, n.author) for root in top for n in root.walk()])


@router.post("/api/papers/{paper_id:path}/comments", status_code=201, response_model=CommentOut,
             responses={**_ERRORS, 401: {"description": "No valid Bearer token."},
                        403: {"description": "The token's member may not comment (banned or unverified)."},
                        409: {"description": "The idempotency key was used for a different comment."}},
             response_description="The comment; a retry with the same key answers with the same comment "
                                  "(and `Idempotent-Replayed: true`).")
def post_comment(request: Request, paper_id: str, payload: CommentIn, settings: SettingsDep,
                 idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
                 session: Session = DB_SESSION) -> JSONResponse:
    """Post a comment or a reply as the token's member. Send an `Idempotency-Key` so a retry cannot post twice."""
    member = require_api(request, "comment")
    posted = comments.post(session, paper_id=paper_id, member_id=member.id, body=payload.body,
                           parent_id=payload.parent_id, idempotency_key=idempotency_key or payload.idempotency_key,
                           now=datetime.now(UTC), site_url=settings.effective_base_url)
    headers = {} if posted.created else {"Idempotent-Replayed": "true"}
    return JSONResponse(comment_json(posted.comment, member.name), status_code=201, headers=headers)
