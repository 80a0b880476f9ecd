"""Pages that explain rather than list: the email digest sign-up."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from paperstand.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe(request: Request) -> HTMLResponse:
    """Email digests: what they will be (sign-up is not open yet)."""
    return render(request, "subscribe.html")
