"""Subscribe with an email address (double opt-in): the form, the sent page, the confirmation."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.mail.templates import mail_env
from paperstand.subscriptions.actions import confirm_opt_in, start_subscription
from paperstand.subscriptions.emails import opt_in_message
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.service import InvalidEmail
from paperstand.web.csrf import check_csrf, csrf_token, remember_csrf
from paperstand.web.ratelimit import limit_address
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("paperstand.subscriptions")


def _page(request: Request, template: str, status: int = 200, **context: object) -> HTMLResponse:
    response = render(request, template, status, csrf=csrf_token(request), **context)
    remember_csrf(request, response)
    return response


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_form(request: Request) -> HTMLResponse:
    """The sign-up form: an email address is all it takes."""
    return _page(request, "subscribe.html")


@router.post("/subscribe", response_class=HTMLResponse)
def subscribe(request: Request, background: BackgroundTasks, settings: SettingsDep,
              email: Annotated[str, Form(max_length=320)] = "", csrf: Annotated[str, Form()] = "",
              session: Session = DB_SESSION) -> HTMLResponse:
    """Record the address and mail it a confirmation link; the answer never says whether it was known."""
    check_csrf(request, csrf)
    limit_address(request, "mail", email)  # one inbox gets a few mails an hour, whoever asks
    try:
        opt_in = start_subscription(session, email)
    except InvalidEmail as exc:
        return _page(request, "subscribe.html", 400, error=exc.message, email=email)
    if opt_in is not None:
        background.add_task(_send, settings, opt_in_message(settings, mail_env(), opt_in))
    return _page(request, "subscribe_sent.html", email=email.strip())


@router.get("/subscribe/confirm", response_class=HTMLResponse)
def confirm_form(request: Request, token: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    """A button that confirms: mail scanners follow links, so only the POST changes anything."""
    return _page(request, "subscribe_confirm.html", token=token)


@router.post("/subscribe/confirm", response_class=HTMLResponse)
def confirm(request: Request, settings: SettingsDep, token: Annotated[str, Form(max_length=200)] = "",
            csrf: Annotated[str, Form()] = "", session: Session = DB_SESSION) -> HTMLResponse:
    """Spend the confirmation token; the subscription starts."""
    check_csrf(request, csrf)
    subscriber = confirm_opt_in(session, token)
    key = make_key(settings.effective_secret_key, "preferences", subscriber.id)
    return _page(request, "subscribed.html", email=subscriber.email, preferences=f"/preferences/{key}")


def _send(settings: Settings, message: EmailMessage) -> None:
    """Deliver after the response; a failure is logged, and subscribing again after the cooldown sends a new link.

    Only the request that claimed the address's opt-in mail (``request_subscription``) gets here, so fifty
    identical posts at once still send one mail.
    """
    from paperstand.mail.backends import mail_backend

    try:
        backend = mail_backend(settings)
        try:
            backend.send(message)
        finally:
            backend.close()
    except Exception:  # the visitor already has their answer; the operator needs the reason
        log.exception("could not send the confirmation mail to %s", message["To"])
