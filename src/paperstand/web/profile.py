"""A member's public page, /u/{name}: what they submitted, authored, upvoted (if shared) and said."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from paperstand.accounts.profile import SHOWN, profile
from paperstand.deps import DB_SESSION
from paperstand.web.follows import follow_buttons
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/u/{name}", response_class=HTMLResponse)
def member_page(request: Request, name: str, session: Session = DB_SESSION) -> HTMLResponse:
    """The profile of the member called ``name`` (404 when there is none)."""
    return render(request, "profile.html", p=profile(session, name=name), shown=SHOWN,
                  follow_buttons=follow_buttons(request, session))
