"""Unsubscribe: a page with a button for people, and RFC 8058 one-click POST for mail providers.

A GET never changes anything (link scanners prefetch). The POST needs no CSRF token: the signed key
in the address is the authorisation, and mail providers post without cookies.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from paperstand.deps import db_session
from paperstand.errors import NotFound
from paperstand.subscriptions.links import read_key
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import unsubscribe
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)


def _subscriber_id(request: Request, key: str) -> int:
    subscriber_id = read_key(request.app.state.settings.effective_secret_key, "unsubscribe", key[:64])
    if subscriber_id is None:
        raise NotFound("this unsubscribe link is not valid", hint="Use the link from your latest email.")
    return subscriber_id


@router.get("/unsubscribe/{key}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, key: str, session: Session = Depends(db_session)) -> HTMLResponse:
    """Ask before unsubscribing; nothing changes until the button is pressed."""
    subscriber = session.get(Subscriber, _subscriber_id(request, key))
    if subscriber is None:
        raise NotFound("this subscription no longer exists")
    return render(request, "unsubscribe.html", key=key, email=subscriber.email,
                  done=subscriber.status == "unsubscribed")


@router.post("/unsubscribe/{key}", response_class=HTMLResponse)
def unsubscribe_now(request: Request, key: str, session: Session = Depends(db_session)) -> HTMLResponse:
    """Unsubscribe at once (the button, or a mail provider's List-Unsubscribe=One-Click POST)."""
    subscriber_id = _subscriber_id(request, key)
    with session.begin():
        subscriber = unsubscribe(session, subscriber_id, journal=request.app.state.settings)
    if subscriber is None:
        raise NotFound("this subscription no longer exists")
    # 200 with a page, never a redirect: RFC 8058 senders treat a redirect as failure.
    return render(request, "unsubscribe.html", key=key, email=subscriber.email, done=True)
