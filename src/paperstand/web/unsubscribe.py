"""Unsubscribe: a page with a button for people, and RFC 8058 one-click POST for mail providers.

A GET never changes anything (link scanners prefetch). The POST needs no CSRF token: the signed key
in the address is the authorisation, and mail providers post without cookies.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.subscriptions.actions import unsubscribe_by_key, unsubscribe_target
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/unsubscribe/{key}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, key: str, settings: SettingsDep,
                     session: Session = DB_SESSION) -> HTMLResponse:
    """Ask before unsubscribing; nothing changes until the button is pressed."""
    subscriber = unsubscribe_target(session, secret_key=settings.effective_secret_key, key=key)
    return render(request, "unsubscribe.html", key=key, email=subscriber.email,
                  done=subscriber.status == "unsubscribed")


@router.post("/unsubscribe/{key}", response_class=HTMLResponse)
def unsubscribe_now(request: Request, key: str, settings: SettingsDep,
                    session: Session = DB_SESSION) -> HTMLResponse:
    """Unsubscribe at once (the button, or a mail provider's List-Unsubscribe=One-Click POST)."""
    subscriber = unsubscribe_by_key(session, secret_key=settings.effective_secret_key, key=key,
                                    journal=settings)
    # 200 with a page, never a redirect: RFC 8058 senders treat a redirect as failure.
    return render(request, "unsubscribe.html", key=key, email=subscriber.email, done=True)
