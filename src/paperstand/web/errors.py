"""The one place domain and HTTP errors become the HTML error page or the one JSON error shape."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperstand.deps import app_settings
from paperstand.errors import DomainError
from paperstand.web.security import headers_for

SERVER_ERROR = ("Something went wrong on our side. The error has been logged; "
                "please try again in a moment.")


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


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, HTTP errors and validation errors to the shared shapes."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return error_response(request, exc.status, exc.title, exc.message, exc.hint)

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
