"""The one place domain and HTTP errors become the HTML error page or the one JSON error shape."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperstand.accounts.errors import LoginRequired
from paperstand.deps import app_settings
from paperstand.errors import DomainError
from paperstand.failures import Where, describe_failure
from paperstand.web.security import headers_for

SERVER_ERROR = ("Something went wrong on our side. The error has been logged; "
                "please try again in a moment.")
UNAVAILABLE = ("The site cannot save anything right now (its disk or database is unavailable); "
               "nothing was changed. Please try again in a minute.")
# Seconds a client is asked to wait after a disk or database failure: a lock clears in seconds, an
# operator freeing space or restarting the database needs longer, and a retry costs the site little.
RETRY_AFTER_S = 30
log = logging.getLogger("paperstand")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.endswith(".json")


def error_response(request: Request, status: int, title: str, message: str, hint: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """Render an error as JSON ``{"error", "status"}`` for the API, or as the HTML error page."""
    if _wants_json(request):
        return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)
    templates = request.app.state.templates
    html = templates.get_template("error.html").render(
        request=request, site=app_settings(request), status=status, title=title, message=message, hint=hint)
    return HTMLResponse(html, status_code=status, headers=headers)


def _login_first(request: Request, exc: LoginRequired) -> Response:
    """Pages send the visitor to log in and come back (a 303, so a form post becomes a GET); the API says 401."""
    if _wants_json(request):
        return error_response(request, 401, exc.title, exc.message, exc.hint,
                              headers={"WWW-Authenticate": 'Bearer realm="paperstand"'})
    back = request.url.path if request.method == "GET" else request.headers.get("referer", "")
    back = urlsplit(back).path if back else "/"
    target = "/login?" + urlencode({"next": back if back.startswith("/") and not back.startswith("//") else "/"})
    return RedirectResponse(target, status_code=303)


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, HTTP errors and validation errors to the shared shapes."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if exc.__cause__ is not None and (line := _failure(request, exc.__cause__)):
            return _unavailable(request, line)  # e.g. the suppression journal on a read-only disk
        if isinstance(exc, LoginRequired):
            return _login_first(request, exc)
        return error_response(request, exc.status, exc.title, exc.message, exc.hint, headers=exc.headers())

    @app.exception_handler(OperationalError)
    @app.exception_handler(OSError)
    async def _machine(request: Request, exc: Exception) -> Response:
        line = _failure(request, exc)
        if line is None:
            raise exc  # not a disk or database failure: the 500 handler logs it with its traceback
        return _unavailable(request, line)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        message = "There is no page at this address." if exc.status_code == 404 else str(exc.detail)
        return error_response(request, exc.status_code, title, message,
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        # Runs in Starlette's outermost middleware, which re-raises ``exc`` afterwards so the server
        # logs it; the security-headers middleware is inside that one, so the headers are set here.
        kind = "application/json" if _wants_json(request) else "text/html"
        return error_response(request, 500, "Server error", SERVER_ERROR,
                              headers=headers_for(request.url.path, kind))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 400, "Bad request", describe_validation(exc.errors()))


def describe_validation(errors: Any) -> str:
    """One line naming each invalid parameter and what is wrong with it."""
    parts = []
    for err in errors:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"


def _failure(request: Request, exc: BaseException) -> str | None:
    """The operator's one line for a disk or database failure (see ``paperstand.failures``), else ``None``."""
    return describe_failure(exc, Where.of(request.app.state.settings))


def _unavailable(request: Request, line: str) -> Response:
    """503 with ``Retry-After``: the request may succeed later; the log says what the operator must fix."""
    log.error("%s (%s %s)", line, request.method, request.url.path)
    return error_response(request, 503, "Temporarily unavailable", UNAVAILABLE,
                          headers={"Retry-After": str(RETRY_AFTER_S)})
