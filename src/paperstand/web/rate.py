"""The 👍/👎 links of a member's digest: a GET shows one button (it changes nothing), its POST records the rating."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION, app_settings
from paperstand.digests.outbox import utcnow
from paperstand.digests.ratings import RATINGS, WORDS, RateKey, current_rating, rate, read_rate_key
from paperstand.errors import NotFound
from paperstand.papers.models import Paper
from paperstand.web.account_forms import form_page
from paperstand.web.csrf import check_csrf

router = APIRouter(include_in_schema=False)
# Keys are 44 characters; anything much longer is not one (and is not worth decoding).
MAX_KEY = 100
_INVALID = ("this rating link is not valid", "Use the 👍 or 👎 link of your latest digest.")


def _key(request: Request, text: str) -> RateKey:
    key = read_rate_key(app_settings(request).effective_secret_key, text[:MAX_KEY]) if len(text) <= MAX_KEY else None
    if key is None:
        raise NotFound(_INVALID[0], hint=_INVALID[1])
    return key


def _page(request: Request, key: RateKey, text: str, paper: Paper, before: int | None, done: str = "") -> HTMLResponse:
    response = form_page(request, "rate.html", key=text, paper=paper, rating=key.rating, symbol=RATINGS[key.rating],
                         words=WORDS[key.rating], before=RATINGS.get(before) if before is not None else None,
                         done=done)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.get("/rate/{key}", response_class=HTMLResponse)
def rate_page(request: Request, key: str, session: Session = DB_SESSION) -> HTMLResponse:
    """The paper and one button; opening the link records nothing (mail scanners open every link)."""
    found = _key(request, key)
    paper = session.get(Paper, found.paper_id) if found.paper_id < 2**31 else None
    if paper is None:
        raise NotFound("this paper is no longer here", hint="Nothing to rate.")
    return _page(request, found, key, paper, current_rating(session, member_id=found.member_id,
                                                            paper_id=found.paper_id))


@router.post("/rate/{key}", response_class=HTMLResponse)
def rate_post(request: Request, key: str, csrf: Annotated[str, Form(max_length=200)] = "",
              session: Session = DB_SESSION) -> HTMLResponse:
    """Record the link's rating (the key is the proof of who rates); the page says what changed."""
    check_csrf(request, csrf)
    found = _key(request, key)
    change = rate(session, key=found, now=utcnow())
    if change is None:
        raise NotFound("this paper or account is no longer here", hint="Nothing was recorded.")
    return _page(request, found, key, change.paper, change.after, done=change.sentence)
