"""The interactive API docs at /docs, served from this app so they work without internet access."""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs/assets"
# Swagger UI is started by this file rather than an inline script (FastAPI's own page has one), so the
# page keeps the site's Content-Security-Policy.
INIT_URL = "/static/docs-init.js"


def _swagger_assets() -> Path | None:
    """The Swagger UI files that ``fastapi-offline`` ships (FastAPI's own page loads them from a CDN)."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    folder = Path(fastapi_offline.__file__).parent / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def _fallback_page(app: FastAPI) -> str:
    title, url = escape(app.title), escape(app.openapi_url or "/openapi.json")
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title} API</title></head>"
            f"<body><h1>{title} API</h1><p>The interactive docs need the <code>fastapi-offline</code> "
            f"package. The API description is at <a href=\"{url}\">{url}</a>.</p>"
            "</body></html>")


def swagger_page(*, title: str, openapi_url: str) -> str:
    """The /docs page: Swagger UI's files from this app, started by a static script, no inline code."""
    title, openapi_url = escape(title), escape(openapi_url)
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title>"
            f'<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">'
            '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml"></head>'
            f'<body><div id="swagger-ui" data-openapi-url="{openapi_url}">'
            f'<noscript><p>The interactive docs need JavaScript; the API description is at '
            f'<a href="{openapi_url}">{openapi_url}</a>.</p></noscript></div>'
            f'<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>'
            f'<script src="{INIT_URL}"></script></body></html>')


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs from local files, or a page linking the OpenAPI JSON without them."""
    assets = _swagger_assets()
    if assets is not None:
        app.mount(ASSETS_URL, StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if assets is None:
            return HTMLResponse(_fallback_page(app))
        return HTMLResponse(swagger_page(title=f"{app.title} API", openapi_url=app.openapi_url or "/openapi.json"))
