"""Error pages and security headers: the 500 page carries every header; domain errors know no web framework."""

from __future__ import annotations

import subprocess
import sys

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.web.errors import describe_validation
from paperstand.web.security import CSP, headers_for

REFERRER = "strict-origin-when-cross-origin"


def _crashing_client(db_url: str) -> TestClient:
    app = create_app(Settings(database_url=db_url, harvest_on_start=False))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    @app.get("/api/boom")
    def api_boom() -> None:
        raise RuntimeError("kaboom")

    return TestClient(app, raise_server_exceptions=False)


def test_server_error_page_carries_every_security_header(engine: Engine, db_url: str) -> None:
    """The 500 page is rendered outside the headers middleware, so it sets them itself."""
    with _crashing_client(db_url) as client:
        res = client.get("/boom")
    assert res.status_code == 500 and "Something went wrong on our side" in res.text and "kaboom" not in res.text
    assert res.headers["content-security-policy"] == CSP
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["referrer-policy"] == REFERRER


def test_server_error_json_has_the_error_shape_and_headers(engine: Engine, db_url: str) -> None:
    """An API crash answers the one JSON error shape, with the headers every response has."""
    with _crashing_client(db_url) as client:
        res = client.get("/api/boom")
    assert res.status_code == 500 and res.json()["status"] == 500 and "kaboom" not in res.text
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["referrer-policy"] == REFERRER
    assert "content-security-policy" not in res.headers


def test_headers_for_pages_json_and_docs() -> None:
    """Pages get the policy, the Swagger page included; JSON gets only the common headers."""
    common = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": REFERRER}
    assert headers_for("/", "text/html; charset=utf-8") == {"Content-Security-Policy": CSP, **common}
    assert headers_for("/api/daily_papers", "application/json") == common
    assert headers_for("/docs", "text/html; charset=utf-8") == {"Content-Security-Policy": CSP, **common}


def test_describe_validation_names_each_parameter() -> None:
    """Locations lose their 'query'/'path' prefix; a message without a location stands alone."""
    errors = [{"loc": ("query", "limit"), "msg": "Input should be a valid integer"},
              {"loc": ("body",), "msg": "Field required"}]
    assert describe_validation(errors) == "limit: Input should be a valid integer; Field required"
    assert describe_validation([]) == "invalid request"


def test_domain_errors_import_no_web_framework() -> None:
    """Domain packages can raise domain errors without pulling in FastAPI or the app."""
    code = ("import sys, paperstand.errors, paperstand.subscriptions.actions; "
            "print(sorted(m for m in ('fastapi', 'starlette', 'paperstand.app', 'paperstand.web') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
