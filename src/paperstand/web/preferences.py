"""Preferences through the signed link in every email: no login, one form."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION, SettingsDep, app_settings
from paperstand.digests.outbox import utcnow
from paperstand.digests.preview import next_digest
from paperstand.errors import NotFound
from paperstand.papers.categories import category_groups
from paperstand.subscriptions.links import read_key
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.preferences import common_timezones
from paperstand.subscriptions.service import PreferencesPage, preferences_page, save_preferences
from paperstand.web.csrf import check_csrf, csrf_token, remember_csrf
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _subscriber_id(request: Request, key: str) -> int:
    subscriber_id = read_key(app_settings(request).effective_secret_key, "preferences", key[:64])
    if subscriber_id is None:
        raise NotFound("this preferences link is not valid", hint="Use the link from your latest email.")
    return subscriber_id


def _found(page: PreferencesPage | None) -> PreferencesPage:
    if page is None:
        raise NotFound("this preferences link is not valid", hint="Use the link from your latest email.")
    return page


def _subscriber(request: Request, session: Session, key: str) -> Subscriber:
    return _found(preferences_page(session, _subscriber_id(request, key))).subscriber


def _page(request: Request, page: PreferencesPage, key: str, status: int = 200,
          form: dict[str, str] | None = None) -> HTMLResponse:
    response = render(request, "preferences.html", status, s=page.subscriber, standing=page.standing, key=key,
                      csrf=csrf_token(request), weekdays=WEEKDAYS, timezones=common_timezones(),
                      errors=page.errors, saved=page.saved, typed=form or {}, archives=category_groups())
    remember_csrf(request, response)
    return response


@router.get("/preferences/{key}", response_class=HTMLResponse)
def preferences_form(request: Request, key: str, session: Session = DB_SESSION) -> HTMLResponse:
    """The subscriber's current choices, ready to change; or, once unsubscribed, the way back."""
    return _page(request, _found(preferences_page(session, _subscriber_id(request, key))), key)


@router.post("/preferences/{key}", response_class=HTMLResponse)
async def save(request: Request, key: str, session: Session = DB_SESSION) -> HTMLResponse:
    """Validate and store; the next digest run uses them. A bad field is shown beside itself, as typed."""
    form = {k: v[:2000] for k, v in (await request.form()).items() if isinstance(v, str)}
    check_csrf(request, form.get("csrf"))
    page = _found(save_preferences(session, _subscriber_id(request, key), form))
    if page.errors:
        return _page(request, page, key, 400, form)
    return _page(request, page, key, 200 if page.saved else 409)


# The email's own HTML carries inline styles (mail clients ignore style sheets), so it is served on its
# own address with a policy that allows them and nothing else: no scripts, no plugins, a sandbox, and
# framing only by our preview page.
EMAIL_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; "
             "form-action 'none'; frame-ancestors 'self'; sandbox allow-popups allow-top-navigation-by-user-activation")


@router.get("/preferences/{key}/preview", response_class=HTMLResponse)
def preview_page(request: Request, key: str, settings: SettingsDep,
                 session: Session = DB_SESSION) -> HTMLResponse:
    """The next digest exactly as it will be sent: when it is due, its subject, the HTML and text parts."""
    subscriber = _subscriber(request, session, key)
    nxt = next_digest(session, settings, subscriber, utcnow())
    text = nxt.message.get_body(("plain",)) if nxt.message else None
    last_day = nxt.days.end - timedelta(days=1) if nxt.days else None
    return render(request, "digest_preview.html", s=subscriber, key=key, next=nxt, last_day=last_day,
                  text=text.get_content() if text is not None else None)


@router.get("/preferences/{key}/preview/email.html", response_class=HTMLResponse)
def preview_email(request: Request, key: str, settings: SettingsDep,
                  session: Session = DB_SESSION) -> Response:
    """The HTML part of the next digest, byte for byte, for the preview page's frame."""
    subscriber = _subscriber(request, session, key)
    nxt = next_digest(session, settings, subscriber, utcnow())
    part = nxt.message.get_body(("html",)) if nxt.message else None
    if part is None:
        raise NotFound("nothing to preview yet", hint="No new featured papers match your topics so far.")
    return HTMLResponse(part.get_content(), headers={"Content-Security-Policy": EMAIL_CSP,
                                                     "X-Frame-Options": "SAMEORIGIN"})
