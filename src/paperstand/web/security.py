"""Security headers: the Content-Security-Policy and the headers every response carries."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline scripts or styles anywhere: pages work without JavaScript, and what little there is
# lives in /static, so the policy can forbid everything else. /docs lives under it too: Swagger UI is
# started by /static/docs-init.js, and the styles it sets go through the CSSOM (element.style), which
# style-src does not police, so it needs no 'unsafe-inline' (tests/browser/test_api_docs_page.py checks that
# Chromium reports no violation).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
# Sent on every response, JSON and feeds included.
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Other sites learn that a visitor came from here, never which page (a search query) they read.
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# What an HTML page carries, /docs included: the common headers plus the policy.
PAGE_HEADERS = {"Content-Security-Policy": CSP, **COMMON_HEADERS}


def headers_for(path: str, content_type: str) -> dict[str, str]:
    """The security headers a response at ``path`` with ``content_type`` should carry."""
    if content_type.startswith("text/html"):
        return dict(PAGE_HEADERS)
    return dict(COMMON_HEADERS)


class SecurityHeaders:
    """ASGI middleware: add the security headers a handler did not set itself.

    A plain ASGI layer rather than ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware`` runs
    each request in a task of its own and streams the body through a queue, a cost every uncached
    request paid (a vote included) to add three headers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the missing headers to the answer's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in headers_for(path, headers.get("content-type", "")).items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def install_security_headers(app: FastAPI) -> None:
    """Add the security-headers middleware to ``app``."""
    app.add_middleware(SecurityHeaders)
