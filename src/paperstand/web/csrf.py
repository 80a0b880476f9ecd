"""CSRF protection for the HTML forms: a double-submit cookie plus an Origin check.

There are no accounts yet, so there is no session to bind a token to; the cookie-and-field pair
still stops another site from posting a form here, because it can neither read nor set our cookie.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response

from paperstand.deps import app_settings
from paperstand.errors import DomainError

COOKIE = "ps_csrf"


class CsrfRejected(DomainError):
    """A state-changing form post without a valid token, or from another site."""

    status = 403
    title = "Forbidden"


def csrf_token(request: Request) -> str:
    """The request's token (from its cookie), or a new one that ``remember_csrf`` will set."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 100:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return token


def remember_csrf(request: Request, response: Response) -> Response:
    """Set the cookie when this request minted a token; the page holds the visitor's token, so no cache keeps it."""
    response.headers["Cache-Control"] = "private, no-store"
    token = getattr(request.state, "new_csrf", None)
    if token:
        secure = app_settings(request).effective_base_url.startswith("https://")
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/")
    return response


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a post whose field does not match its cookie, or that comes from a foreign origin."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and not _same_origin(request, origin):
        raise CsrfRejected("this form was sent from another site", hint="Open the page here and try again.")
    cookie = request.cookies.get(COOKIE)
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise CsrfRejected("the form expired or came from elsewhere", hint="Reload the page and send it again.")


def _same_origin(request: Request, origin: str) -> bool:
    allowed = {app_settings(request).effective_base_url, f"{request.url.scheme}://{request.url.netloc}"}
    return any(urlsplit(origin)[:2] == urlsplit(a)[:2] for a in allowed)
