"""A forgotten password: ask for a link (the same answer for every address), then choose a new password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from paperstand.accounts import recovery
from paperstand.accounts.errors import InvalidForm
from paperstand.deps import DB_SESSION
from paperstand.web.account_forms import (
    MAX_EMAIL,
    MAX_PASSWORD,
    MAX_TOKEN,
    form_page,
    logged_in,
    mail_queued,
    mail_site,
    now,
)
from paperstand.web.csrf import check_csrf
from paperstand.web.ratelimit import limit_address

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=200)]


@router.get("/reset", response_class=HTMLResponse)
def reset_form(request: Request) -> HTMLResponse:
    """Ask for a reset link by email address."""
    return form_page(request, "reset.html", errors={}, email="")


@router.post("/reset", response_class=HTMLResponse)
def reset_request(request: Request, email: Annotated[str, Form(max_length=MAX_EMAIL)] = "", csrf: Csrf = "",
                  session: Session = DB_SESSION) -> HTMLResponse:
    """Mail a reset link if the address has an account; the page says the same either way."""
    check_csrf(request, csrf)
    limit_address(request, "mail", email)
    try:
        address = recovery.request_reset(session, email=email, site=mail_site(request), now=now())
    except InvalidForm as exc:
        return form_page(request, "reset.html", 400, errors=exc.errors, email=email)
    mail_queued()
    return form_page(request, "reset_sent.html", email=address)


@router.get("/reset/confirm", response_class=HTMLResponse)
def new_password_form(request: Request, token: Annotated[str, Query(max_length=MAX_TOKEN)] = "",
                      session: Session = DB_SESSION) -> HTMLResponse:
    """The new-password form of a live reset link (a used or expired link says so at once)."""
    member = recovery.reset_member(session, secret=token, now=now())
    return form_page(request, "reset_confirm.html", token=token, member=member, errors={})


@router.post("/reset/confirm", response_model=None)
def new_password(request: Request, token: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
                 password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "", csrf: Csrf = "",
                 session: Session = DB_SESSION) -> Response:
    """Set the new password: every other login ends, and this browser is logged in."""
    check_csrf(request, csrf)
    try:
        _, secret = recovery.reset_password(session, secret=token, password=password, now=now())
    except InvalidForm as exc:
        member = recovery.reset_member(session, secret=token, now=now())
        return form_page(request, "reset_confirm.html", 400, token=token, member=member, errors=exc.errors)
    return logged_in(request, "/settings?done=reset", secret)
