"""/settings: profile and choices, address, password, verification mail, API tokens; each form one service call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.accounts import api_tokens, changes, service
from paperstand.accounts.errors import InvalidForm
from paperstand.accounts.overview import settings_view
from paperstand.deps import DB_SESSION, app_settings
from paperstand.web.account_forms import (
    MAX_EMAIL,
    MAX_NAME,
    MAX_PASSWORD,
    MAX_TOKEN,
    form_page,
    logged_in,
    login_throttle,
    mail_queued,
    mail_site,
    member_of,
    now,
)
from paperstand.web.csrf import check_csrf

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=200)]
# What a redirect back to /settings says was done (``?done=``); anything else shows nothing.
DONE = {
    "profile": "Saved.",
    "password": "Your password is changed. Every other browser and device is logged out.",
    "reset": "Your new password is set, and you are logged in. Every other login has ended.",
    "email-sent": "We sent a confirmation link to the new address. Your address changes when you open it.",
    "verify-sent": "A new verification link is on its way to your address.",
    "token-revoked": "The token is revoked: it no longer works.",
}


def _page(request: Request, session: Session, status: int = 200, **context: object) -> HTMLResponse:
    member = member_of(request)
    view = settings_view(session, member_id=member.id, secret_key=app_settings(request).effective_secret_key)
    context.setdefault("errors", {})
    return form_page(request, "settings.html", status, view=view, **context)


def _back(done: str) -> Response:
    return RedirectResponse(f"/settings?done={done}", status_code=303)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, done: Annotated[str, Query(max_length=40)] = "",
                  session: Session = DB_SESSION) -> HTMLResponse:
    """The member's settings (logged-in members only: others are sent to log in)."""
    return _page(request, session, done=DONE.get(done))


@router.post("/settings/profile", response_model=None)
def save_profile(request: Request, display_name: Annotated[str, Form(max_length=MAX_NAME * 2)] = "",
                 show_upvotes: Annotated[str, Form(max_length=10)] = "",
                 notify_mentions: Annotated[str, Form(max_length=10)] = "", csrf: Csrf = "",
                 session: Session = DB_SESSION) -> Response:
    """Store the display name and the two choices (an unticked box is simply absent from the form)."""
    check_csrf(request, csrf)
    try:
        changes.update_profile(session, member_id=member_of(request).id, display_name=display_name,
                               show_upvotes=bool(show_upvotes), notify_mentions=bool(notify_mentions))
    except InvalidForm as exc:
        return _page(request, session, 400, errors=exc.errors)
    return _back("profile")


@router.post("/settings/password", response_model=None)
def change_password(request: Request, current: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
                    new: Annotated[str, Form(max_length=MAX_PASSWORD)] = "", csrf: Csrf = "",
                    session: Session = DB_SESSION) -> Response:
    """Change the password: every session ends, and this browser gets a new one."""
    check_csrf(request, csrf)
    try:
        secret = changes.change_password(session, member_id=member_of(request).id, current=current, new=new,
                                         now=now(), throttle=login_throttle(request))
    except InvalidForm as exc:
        return _page(request, session, 400, errors=exc.errors)
    return logged_in(request, "/settings?done=password", secret)


@router.post("/settings/email", response_model=None)
def change_email(request: Request, email: Annotated[str, Form(max_length=MAX_EMAIL)] = "",
                 password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "", csrf: Csrf = "",
                 session: Session = DB_SESSION) -> Response:
    """Mail a confirmation link to the new address (the current password is asked, as for a password change)."""
    check_csrf(request, csrf)
    try:
        changes.request_email_change(session, member_id=member_of(request).id, password=password, new_email=email,
                                     site=mail_site(request), now=now(), throttle=login_throttle(request))
    except InvalidForm as exc:
        return _page(request, session, 400, errors=exc.errors, typed_email=email)
    mail_queued()
    return _back("email-sent")


@router.get("/settings/email/confirm", response_class=HTMLResponse)
def email_confirm_form(request: Request, token: Annotated[str, Query(max_length=MAX_TOKEN)] = "") -> HTMLResponse:
    """A button that moves the account to the new address (only the POST changes anything)."""
    return form_page(request, "email_confirm.html", token=token)


@router.post("/settings/email/confirm", response_class=HTMLResponse)
def email_confirm(request: Request, token: Annotated[str, Form(max_length=MAX_TOKEN)] = "", csrf: Csrf = "",
                  session: Session = DB_SESSION) -> HTMLResponse:
    """Spend the link: the account's address is now the new one, verified; the old one is told."""
    check_csrf(request, csrf)
    member = changes.confirm_email_change(session, secret=token, site=mail_site(request), now=now())
    mail_queued()
    return form_page(request, "email_changed.html", member=member)


@router.post("/settings/verify", response_model=None)
def resend_verification(request: Request, csrf: Csrf = "", session: Session = DB_SESSION) -> Response:
    """Send a new verification link (at most one every few minutes, however often it is asked)."""
    check_csrf(request, csrf)
    service.resend_verification(session, member_id=member_of(request).id, site=mail_site(request), now=now())
    mail_queued()
    return _back("verify-sent")


@router.post("/settings/tokens", response_class=HTMLResponse)
def create_token(request: Request, token_name: Annotated[str, Form(max_length=MAX_NAME * 2)] = "",
                 csrf: Csrf = "", session: Session = DB_SESSION) -> HTMLResponse:
    """Make an API token and show it, this once."""
    check_csrf(request, csrf)
    try:
        secret = api_tokens.create_token(session, member_id=member_of(request).id, name=token_name, now=now())
    except InvalidForm as exc:
        return _page(request, session, 400, errors=exc.errors)
    return _page(request, session, new_token=secret, new_token_name=token_name.strip())


@router.post("/settings/tokens/{token_id}/revoke", response_model=None)
def revoke_token(request: Request, token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], csrf: Csrf = "",
                 session: Session = DB_SESSION) -> Response:
    """Revoke one of the member's tokens."""
    check_csrf(request, csrf)
    api_tokens.revoke_token(session, member_id=member_of(request).id, token_id=token_id, now=now())
    return _back("token-revoked")
