"""The upvote button's form: a POST that works without JavaScript, and answers JSON to /static/votes.js."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.community.votes import VoteState, cast_vote
from paperstand.deps import DB_SESSION
from paperstand.papers.links import paper_path
from paperstand.web.auth import require, viewer
from paperstand.web.csrf import check_csrf

# Sessions here are closed when the handler returns (``scope="function"``), not after the answer is sent:
# a vote needs its connection only for its own transaction, and under load every pooled connection counts.
router = APIRouter(include_in_schema=False)

# The longest page address a form may ask to go back to: a search with a long query and filters fits.
MAX_NEXT = 2000


def viewer_id(request: Request) -> int | None:
    """The logged-in member's id, for pages whose cards mark that member's own votes; ``None`` when anonymous."""
    member = viewer(request)
    return member.id if member is not None else None


def back_to(target: str, state: VoteState) -> str:
    """Where the form returns: ``target`` when it is a path on this site, else the paper's page.

    Only a path is accepted (``/papers/date/2025-03-11#paper-2503.00201``): anything with a scheme or a
    host, ``//host`` and ``/\\host`` (browsers read both as another site) falls back, so the form can
    never be made to send a member elsewhere.
    """
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith(("//", "/\\")) or parts.scheme or parts.netloc:
        return paper_path(state.paper)
    return target


@router.post("/papers/{paper_id:path}/upvote")
def vote(request: Request, paper_id: str, csrf: Annotated[str, Form(max_length=200)] = "",
         action: Annotated[str, Form(max_length=10)] = "toggle",
         next_page: Annotated[str, Form(alias="next", max_length=MAX_NEXT)] = "",
         session: Session = DB_SESSION) -> Response:
    """Upvote (``action=up``), take it back (``down``) or flip it (``toggle``), then go back to ``next``.

    With ``Accept: application/json`` (the page's script) the answer is ``{upvotes, local, voted}`` instead.
    """
    check_csrf(request, csrf)
    member = require(request, "vote")
    state = cast_vote(session, public_id=paper_id, member_id=member.id, action=action, now=datetime.now(UTC))
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"upvotes": state.total, "local": state.local, "voted": state.voted},
                            headers={"Cache-Control": "no-store"})
    return RedirectResponse(back_to(next_page, state), status_code=303)
