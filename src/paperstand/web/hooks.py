"""Webhooks from the mail provider: complaints and permanent bounces suppress the address.

The shared secret ``PAPERSTAND_FEEDBACK_TOKEN`` authenticates the provider (a bearer token, or the
password of HTTP basic auth for providers that only put credentials in the URL, such as SNS and
Postmark). Without it the endpoint does not exist: it answers 404 like any unknown address.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from paperstand import jsontext
from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.mail.feedback import apply_feedback, webhook_events

router = APIRouter(include_in_schema=False)
log = logging.getLogger("paperstand.mail")
# Largest body read: SNS messages are at most 256 KiB; anything bigger is not a report.
MAX_BODY = 256 * 1024


@router.post("/hooks/mail-feedback")
async def mail_feedback(request: Request, settings: SettingsDep,
                        session: Session = DB_SESSION) -> JSONResponse:
    """Suppress the addresses a provider reports as complaining or bouncing for good."""
    if not settings.feedback_token:
        raise HTTPException(404)
    if not authorized(request.headers.get("authorization", ""), settings.feedback_token):
        return JSONResponse({"error": "a valid feedback token is required", "status": 401}, status_code=401,
                            headers={"WWW-Authenticate": 'Bearer realm="mail-feedback"'})
    body = await request.body()
    try:
        if len(body) > MAX_BODY:
            raise ValueError(f"body over {MAX_BODY} bytes")
        payload = jsontext.loads(body)
    except ValueError as exc:
        return JSONResponse({"error": f"body is not JSON ({exc})", "status": 400}, status_code=400)
    if isinstance(payload, dict) and payload.get("Type") == "SubscriptionConfirmation":
        # Confirming means fetching a URL the request names; the operator opens it once, by hand.
        log.warning("SNS asks to confirm the feedback subscription: open %s", payload.get("SubscribeURL"))
        return JSONResponse({"suppressed": []})
    done = await run_in_threadpool(apply_feedback, session, webhook_events(payload), settings)
    return JSONResponse({"suppressed": done})


def authorized(header: str, token: str) -> bool:
    """Whether ``Authorization`` carries the token, as ``Bearer TOKEN`` or as a basic-auth password."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            value = base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return False
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode(), token.encode())
