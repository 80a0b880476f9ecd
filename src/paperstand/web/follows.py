"""/following and the follow buttons: follow or unfollow an author, member, category or saved search."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION
from paperstand.errors import BadRequest
from paperstand.follows import alerts, service, watch
from paperstand.follows.matching import newest_matches
from paperstand.follows.service import KIND_WORDS
from paperstand.web.account_forms import member_of
from paperstand.web.auth import viewer
from paperstand.web.csrf import check_csrf
from paperstand.web.render import render
from paperstand.web.votes import MAX_NEXT

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=200)]
Next = Annotated[str, Form(alias="next", max_length=MAX_NEXT)]
# Matching papers per page of /following.
PER_PAGE = 20
# The deepest page /following serves (the matcher looks through a bounded window of new papers anyway).
MAX_PAGE = 50
# What a redirect back to /following says was done.
DONE = {"delivery": "Saved: watch alerts now come {}.", "removed": "Removed.", "followed": "Followed."}


def safe_next(target: str, fallback: str = "/following") -> str:
    """``target`` when it is a path on this site (never another host, ``//host`` or ``/\\host``), else ``fallback``."""
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith(("//", "/\\")) or parts.scheme or parts.netloc:
        return fallback
    return target


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


class FollowButtons:
    """What the viewer follows, for the follow buttons of a page (nothing for an anonymous visitor)."""

    def __init__(self, keys: set[tuple[str, str]], path: str) -> None:
        self.keys, self.path = keys, path

    def has(self, kind: str, value: str) -> bool:
        """Whether the viewer follows ``value`` (a name as printed, a member id, a category, a query)."""
        if kind == "author":
            value = service.author_key(value)
        elif kind == "search":
            value = " ".join(unicodedata.normalize("NFC", value).split())
        return (kind, value) in self.keys


def follow_buttons(request: Request, session: Session) -> FollowButtons:
    """The follow buttons' state for this request's viewer."""
    member = viewer(request)
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    # The buttons come back here; an address longer than a form's ``next`` may be comes back without its query.
    path = path if len(path) <= MAX_NEXT else request.url.path[:MAX_NEXT]
    return FollowButtons(service.followed_keys(session, member_id=member.id if member else None), path)


def paper_extras(request: Request, session: Session, paper_id: int) -> dict[str, Any]:
    """What the paper page adds for its follow and watch buttons."""
    member = viewer(request)
    return {"follow_buttons": follow_buttons(request, session),
            "watching": watch.is_watching(session, member_id=member.id if member else None, paper_id=paper_id)}


@router.get("/following", response_class=HTMLResponse)
def following_page(request: Request, p: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
                   done: Annotated[str, Query(max_length=20)] = "", session: Session = DB_SESSION) -> Response:
    """The member's follows, watched papers and alert choice, and the newest papers their follows match."""
    member = member_of(request)
    follows = service.follows_of(session, member_id=member.id)
    matches = newest_matches(session, member_id=member.id, limit=PER_PAGE + 1, offset=(p - 1) * PER_PAGE)
    delivery = alerts.delivery_of(session, member_id=member.id)
    message = DONE.get(done, "").format(alerts.DELIVERY_WORDS[delivery]) if done in DONE else ""
    context: dict[str, Any] = {
        "follows": follows, "kind_words": KIND_WORDS, "matches": matches[:PER_PAGE], "page": p,
        "has_next": len(matches) > PER_PAGE, "watched": watch.watched(session, member_id=member.id),
        "delivery": delivery, "delivery_words": alerts.DELIVERY_WORDS, "done": message,
        "has_digest": alerts.has_digest(session, member_id=member.id),
        "pending": alerts.pending_alerts(session, member_id=member.id)}
    return _private(render(request, "following.html", **context))


@router.post("/follows", response_model=None)
def follow(request: Request, kind: Annotated[str, Form(max_length=16)] = "",
           value: Annotated[str, Form(max_length=4000)] = "", csrf: Csrf = "", next_page: Next = "",
           session: Session = DB_SESSION) -> Response:
    """Follow an author, member, category or search, then go back to ``next`` (/following by default)."""
    check_csrf(request, csrf)
    member = member_of(request)
    service.follow(session, member_id=member.id, kind=kind, value=value, now=datetime.now(UTC))
    return RedirectResponse(safe_next(next_page, "/following?done=followed"), status_code=303)


@router.post("/follows/remove", response_model=None)
def unfollow(request: Request, kind: Annotated[str, Form(max_length=16)] = "",
             value: Annotated[str, Form(max_length=4000)] = "", follow_id: Annotated[str, Form(max_length=20)] = "",
             csrf: Csrf = "", next_page: Next = "", session: Session = DB_SESSION) -> Response:
    """Unfollow by ``follow_id`` (the buttons of /following) or by ``kind`` and ``value`` (the page buttons)."""
    check_csrf(request, csrf)
    member = member_of(request)
    if follow_id:
        if not follow_id.isdigit():
            raise BadRequest("unfollow: follow_id must be a number")
        service.unfollow_id(session, member_id=member.id, follow_id=int(follow_id))
    else:
        service.unfollow(session, member_id=member.id, kind=kind, value=value)
    return RedirectResponse(safe_next(next_page, "/following?done=removed"), status_code=303)


@router.post("/following/delivery", response_model=None)
def delivery(request: Request, choice: Annotated[str, Form(max_length=16)] = "", csrf: Csrf = "",
             session: Session = DB_SESSION) -> Response:
    """Choose how watch alerts arrive: "instant" (a mail each) or "digest" (folded into the next digest)."""
    check_csrf(request, csrf)
    member = member_of(request)
    alerts.set_delivery(session, member_id=member.id, delivery=choice, now=datetime.now(UTC))
    return RedirectResponse("/following?done=delivery", status_code=303)
