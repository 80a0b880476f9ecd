"""Join, verify an address, log in, log out: thin pages over ``accounts.service``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from paperstand.accounts import service
from paperstand.accounts.errors import InvalidForm, TooManyAttempts
from paperstand.deps import DB_SESSION
from paperstand.web.account_forms import (
    MAX_EMAIL,
    MAX_NAME,
    MAX_PASSWORD,
    MAX_TOKEN,
    client_of,
    form_page,
    logged_in,
    logged_out,
    login_throttle,
    mail_queued,
    mail_site,
    now,
    safe_next,
)
from paperstand.web.auth import SESSION_COOKIE
from paperstand.web.csrf import check_csrf
from paperstand.web.ratelimit import limit_address

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=200)]


@router.get("/join", response_class=HTMLResponse)
def join_form(request: Request) -> HTMLResponse:
    """The join form: an email address, a user name and a password."""
    return form_page(request, "join.html", errors={}, typed={})


@router.post("/join", response_class=HTMLResponse)
def join(request: Request, email: Annotated[str, Form(max_length=MAX_EMAIL)] = "",
         name: Annotated[str, Form(max_length=MAX_NAME)] = "",
         password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "", csrf: Csrf = "",
         session: Session = DB_SESSION) -> HTMLResponse:
    """Create the account and mail a verification link; a registered address gets the same answer."""
    check_csrf(request, csrf)
    limit_address(request, "mail", email)  # one inbox gets a few mails an hour, whoever asks
    try:
        address = service.join(session, email=email, name=name, password=password, site=mail_site(request),
                               now=now())
    except InvalidForm as exc:
        return form_page(request, "join.html", 400, errors=exc.errors, typed={"email": email, "name": name})
    mail_queued()
    return form_page(request, "join_sent.html", email=address)


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, token: Annotated[str, Query(max_length=MAX_TOKEN)] = "") -> HTMLResponse:
    """A button that verifies: mail scanners follow links, so only the POST changes anything."""
    return form_page(request, "verify.html", token=token)


@router.post("/verify", response_class=HTMLResponse)
def verify(request: Request, token: Annotated[str, Form(max_length=MAX_TOKEN)] = "", csrf: Csrf = "",
           session: Session = DB_SESSION) -> HTMLResponse:
    """Spend the verification link: the address is confirmed and the member's rights begin."""
    check_csrf(request, csrf)
    member = service.verify_email(session, secret=token, now=now())
    return form_page(request, "verified.html", member=member)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Annotated[str, Query(max_length=500)] = "/") -> HTMLResponse:
    """The login form; ``next`` is where a successful login goes (a path on this site)."""
    return form_page(request, "login.html", next=safe_next(next), login="")


@router.post("/login", response_model=None)
def login(request: Request, login: Annotated[str, Form(max_length=MAX_EMAIL)] = "",
          password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
          next: Annotated[str, Form(max_length=500)] = "/", csrf: Csrf = "",
          session: Session = DB_SESSION) -> Response:
    """Log in with a user name or address: a new session (the old cookie's one ends), then a 303 to ``next``."""
    check_csrf(request, csrf)
    target = safe_next(next)
    try:
        done = service.login(session, login=login, password=password, client=client_of(request),
                             throttle=login_throttle(request), now=now(),
                             old_secret=request.cookies.get(SESSION_COOKIE, ""))
    except service.LoginFailed as exc:
        return form_page(request, "login.html", 400, next=target, login=login, error=exc.message, hint=exc.hint)
    except TooManyAttempts as exc:
        page = form_page(request, "login.html", 429, next=target, login=login, error=exc.message, hint=exc.hint)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    return logged_in(request, target, done.secret)


@router.post("/logout", response_model=None)
def logout(request: Request, csrf: Csrf = "", session: Session = DB_SESSION) -> Response:
    """End this browser's session and remove its cookie."""
    check_csrf(request, csrf)
    service.logout(session, secret=request.cookies.get(SESSION_COOKIE, ""))
    return logged_out(request, "/")

