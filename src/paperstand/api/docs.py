"""The interactive API docs at /docs, served from this app so they work without internet access."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

# Under /docs so the security-headers middleware leaves the Swagger page's inline script alone.
ASSETS_URL = "/docs/assets"


def _swagger_assets() -> Path | None:
    """The Swagger UI files that ``fastapi-offline`` ships (FastAPI's own page loads them from a CDN)."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    folder = Path(fastapi_offline.__file__).parent / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def _fallback_page(app: FastAPI) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{app.title} API</title></head>"
            f"<body><h1>{app.title} API</h1><p>The interactive docs need the <code>fastapi-offline</code> "
            f"package. The API description is at <a href=\"{app.openapi_url}\">{app.openapi_url}</a>.</p>"
            "</body></html>")


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs from local files, or a page linking the OpenAPI JSON without them."""
    assets = _swagger_assets()
    if assets is not None:
        app.mount(ASSETS_URL, StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if assets is None:
            return HTMLResponse(_fallback_page(app))
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
                                   swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg")
