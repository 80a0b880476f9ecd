"""Preferences through the signed link in every email: no login, one form."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from paperstand.deps import db_session
from paperstand.errors import NotFound
from paperstand.subscriptions.links import read_key
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.preferences import (
    InvalidPreferences,
    apply_preferences,
    common_timezones,
    parse_preferences,
)
from paperstand.web.csrf import check_csrf, csrf_token, remember_csrf
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _subscriber(request: Request, session: Session, key: str) -> Subscriber:
    subscriber_id = read_key(request.app.state.settings.effective_secret_key, "preferences", key[:64])
    subscriber = session.get(Subscriber, subscriber_id) if subscriber_id is not None else None
    if subscriber is None:
        raise NotFound("this preferences link is not valid", hint="Use the link from your latest email.")
    return subscriber


def _page(request: Request, subscriber: Subscriber, key: str, status: int = 200, **extra: object) -> HTMLResponse:
    response = render(request, "preferences.html", status, s=subscriber, key=key, csrf=csrf_token(request),
                      weekdays=WEEKDAYS, timezones=common_timezones(), **extra)
    remember_csrf(request, response)
    return response


@router.get("/preferences/{key}", response_class=HTMLResponse)
def preferences_form(request: Request, key: str, session: Session = Depends(db_session)) -> HTMLResponse:
    """The subscriber's current choices, ready to change."""
    return _page(request, _subscriber(request, session, key), key)


@router.post("/preferences/{key}", response_class=HTMLResponse)
async def save_preferences(request: Request, key: str, session: Session = Depends(db_session)) -> HTMLResponse:
    """Validate and store; the next digest run uses them."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(request, form.get("csrf"))
    subscriber = _subscriber(request, session, key)
    try:
        prefs = parse_preferences(form)
    except InvalidPreferences as exc:
        return _page(request, subscriber, key, 400, error=exc.message)
    apply_preferences(subscriber, prefs)
    session.commit()
    return _page(request, subscriber, key, saved=True)
