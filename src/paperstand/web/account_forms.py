"""What the account pages share: the login cookie, the client's address, safe ``next`` links, form pages."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from paperstand.accounts.emails import MailSite
from paperstand.accounts.errors import LoginRequired
from paperstand.accounts.models import Member
from paperstand.accounts.sessions import SESSION_DAYS
from paperstand.accounts.throttle import LoginThrottle, parse_limit
from paperstand.deps import app_settings
from paperstand.web.auth import SESSION_COOKIE, viewer
from paperstand.web.csrf import csrf_token, remember_csrf
from paperstand.web.ratelimit import client_address, client_key
from paperstand.web.render import render

_throttle_lock = threading.Lock()
# Form fields: long enough for any real value, short enough that nothing huge is ever hashed or stored.
MAX_EMAIL = 320
MAX_NAME = 100
MAX_PASSWORD = 4096  # longer than ``passwords.MAX_LENGTH``, so the form's own message explains the limit
MAX_TOKEN = 200


def now() -> datetime:
    """The clock of the account pages."""
    return datetime.now(UTC)


def form_page(request: Request, template: str, status: int = 200, **context: object) -> HTMLResponse:
    """A page with a form: a CSRF token for anyone, logged in or not (such pages are never cached)."""
    response = render(request, template, status, csrf=csrf_token(request), **context)
    if viewer(request) is None:  # render() already did this for a member
        remember_csrf(request, response)
    return response


def member_of(request: Request) -> Member:
    """The logged-in member (any standing: unverified and banned members may still see their settings)."""
    member = viewer(request)
    if member is None:
        raise LoginRequired("you need to be logged in", hint="Log in to see your settings.")
    return member


def mail_site(request: Request) -> MailSite:
    """The site as its mails describe it."""
    return MailSite.of(app_settings(request))


def client_of(request: Request) -> str:
    """The address failed logins are counted against (behind a trusted proxy: the client it names)."""
    settings = app_settings(request)
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for") if settings.trusted_proxy_networks else None
    return client_key(client_address(peer, forwarded, settings.trusted_proxy_networks))


def login_throttle(request: Request) -> LoginThrottle:
    """The app's failed-login counters, made on first use from ``PAPERSTAND_LOGIN_FAILURES``."""
    state = request.app.state
    with _throttle_lock:
        if getattr(state, "login_throttle", None) is None:
            settings = app_settings(request)
            state.login_throttle = LoginThrottle(parse_limit(settings.login_failures), settings.effective_redis_url)
    throttle: LoginThrottle = state.login_throttle
    return throttle


def safe_next(target: str) -> str:
    """``target`` if it is a path on this site, else "/": a login must never send anyone to another site."""
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target or len(target) > 500):
        return "/"
    return target


def logged_in(request: Request, target: str, secret: str) -> Response:
    """A 303 to ``target`` that sets the login cookie (HttpOnly, SameSite=Lax, Secure over HTTPS)."""
    response = RedirectResponse(target, status_code=303)
    secure = app_settings(request).effective_base_url.startswith("https://")
    response.set_cookie(SESSION_COOKIE, secret, max_age=SESSION_DAYS * 86400, httponly=True, samesite="lax",
                        secure=secure, path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


def logged_out(request: Request, target: str) -> Response:
    """A 303 to ``target`` that removes the login cookie."""
    response = RedirectResponse(target, status_code=303)
    secure = app_settings(request).effective_base_url.startswith("https://")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
    response.headers["Cache-Control"] = "no-store"
    return response


def mail_queued() -> None:
    """Ask this process's job threads to deliver the outbox now (after the commit that queued a mail)."""
    from paperstand.worker.inprocess import nudge

    nudge("send_mail")
