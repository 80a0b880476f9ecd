"""The paper page's watch button: one click to be told of new versions, code and comments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION
from paperstand.errors import BadRequest
from paperstand.follows import watch
from paperstand.papers.links import paper_path
from paperstand.web.account_forms import member_of
from paperstand.web.csrf import check_csrf
from paperstand.web.follows import Csrf, Next, safe_next

router = APIRouter(include_in_schema=False)


@router.post("/papers/{paper_id:path}/watch", response_model=None)
def watch_paper(request: Request, paper_id: str, action: Annotated[str, Form(max_length=10)] = "watch",
                csrf: Csrf = "", next_page: Next = "", session: Session = DB_SESSION) -> Response:
    """Watch (``action=watch``) or stop watching (``unwatch``) a paper, then go back to ``next`` or the paper."""
    check_csrf(request, csrf)
    member = member_of(request)
    now = datetime.now(UTC)
    if action == "watch":
        paper = watch.watch(session, member_id=member.id, paper_id=paper_id, now=now)
    elif action == "unwatch":
        paper = watch.unwatch(session, member_id=member.id, paper_id=paper_id)
    else:
        raise BadRequest("watch: action must be watch or unwatch")
    return RedirectResponse(safe_next(next_page, paper_path(paper)), status_code=303)
