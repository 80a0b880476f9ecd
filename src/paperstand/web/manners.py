"""HTTP manners every route gets: HEAD, cross-origin reads of the API, and conditional GET.

All three are plain ASGI middlewares installed by ``install`` rather than per-route code. For HEAD
that is the point: FastAPI routes declared with ``@router.get`` answer HEAD with 405, and adding HEAD
to each route would miss routes added later (and mounts), and double every operation in the OpenAPI
schema. A middleware answers HEAD for whatever answers GET, with the same status and headers.
"""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperstand.papers.freshness import data_changed_at
from paperstand.web.conditional import ConditionalGet

# Cross-origin reads: the API is public and read-only, and sends no credentials-bound data.
API_PREFIX = "/api/"
# How long a browser may reuse a preflight answer (a day; it never changes while the app runs).
PREFLIGHT_MAX_AGE = "86400"
# Request header names a preflight may ask for (tokens only: the value is echoed back).
_HEADER_LIST = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*")


class HeadAsGet:
    """Answer HEAD exactly as GET, without the body (RFC 9110 §9.3.2)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run HEAD requests as GET and drop the body; everything else passes through."""
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def bodiless(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                # Content-Length stays that of the GET answer, as RFC 9110 allows for HEAD.
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, bodiless)


class ReadOnlyCors:
    """``Access-Control-Allow-Origin: *`` on GET and HEAD answers under /api/, and their preflight."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a GET preflight, tag GET/HEAD answers; other methods get no cross-origin grant."""
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and _preflight_for_read(Headers(scope=scope)):
            await _preflight(Headers(scope=scope), send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return

        async def allowed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = "*"
                # ETag is not a CORS-safelisted response header; scripts need it to revalidate.
                headers["Access-Control-Expose-Headers"] = "ETag"
            await send(message)

        await self.app(scope, receive, allowed)


def _preflight_for_read(headers: Headers) -> bool:
    return "origin" in headers and headers.get("access-control-request-method", "").upper() in ("GET", "HEAD")


async def _preflight(headers: Headers, send: Send) -> None:
    """``204`` granting GET and HEAD from any origin, with the request headers the browser asked for."""
    out = [(b"access-control-allow-origin", b"*"), (b"access-control-allow-methods", b"GET, HEAD"),
           (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()), (b"vary", b"Access-Control-Request-Headers")]
    asked = headers.get("access-control-request-headers", "").strip()
    if asked and _HEADER_LIST.fullmatch(asked):
        out.append((b"access-control-allow-headers", asked.encode("latin-1")))
    await send({"type": "http.response.start", "status": 204, "headers": out})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def _last_modified(scope: Scope) -> datetime | None:
    """When the stored papers last changed, read in its own short session."""
    with scope["app"].state.sessions() as session:
        return data_changed_at(session)


def install(app: FastAPI) -> None:
    """Add the three middlewares; HEAD outermost, so the others see the GET it becomes."""
    app.add_middleware(ConditionalGet, last_modified=_last_modified)
    app.add_middleware(ReadOnlyCors)
    app.add_middleware(HeadAsGet)
