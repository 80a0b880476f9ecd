"""/docs: Swagger UI started by a static file, under the site's CSP; every HTML answer, a 500 too, has the headers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperstand.api import docs
from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.web.security import CSP, PAGE_HEADERS, headers_for


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    """An app whose /boom raises, answered as a 500 instead of re-raised."""
    app = create_app(Settings(database_url=db_url, harvest_on_start=False))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _assert_page_headers(headers: object) -> None:
    for name, value in PAGE_HEADERS.items():
        assert headers[name] == value, name  # type: ignore[index]


def test_docs_carry_the_csp_and_have_no_inline_script(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    _assert_page_headers(page.headers)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, flags=re.S)
    assert [src for src, _ in scripts] == [f' src="{docs.ASSETS_URL}/swagger-ui-bundle.js"',
                                          f' src="{docs.INIT_URL}"']
    assert all(body == "" for _, body in scripts)
    assert 'data-openapi-url="/openapi.json"' in page.text
    assert " style=" not in page.text and "<style" not in page.text


def test_the_init_file_is_served_as_javascript(client: TestClient) -> None:
    init = client.get(docs.INIT_URL)
    assert init.status_code == 200 and "javascript" in init.headers["content-type"]
    assert "data-openapi-url" in init.text and "/openapi.json" not in init.text


def test_the_page_escapes_what_it_is_given() -> None:
    page = docs.swagger_page(title='<b>"x"</b>', openapi_url='/o"><script>alert(1)</script>')
    assert "<b>" not in page and "alert(1)</script>" not in page and "&quot;&gt;&lt;script&gt;" in page


def test_docs_without_swagger_files_link_the_schema(engine: Engine, db_url: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs, "_swagger_assets", lambda: None)
    with TestClient(create_app(Settings(database_url=db_url, harvest_on_start=False))) as client:
        page = client.get("/docs")
    assert page.status_code == 200 and 'href="/openapi.json"' in page.text and "<script" not in page.text
    _assert_page_headers(page.headers)


def test_every_html_answer_gets_the_policy_docs_included() -> None:
    assert headers_for("/docs", "text/html; charset=utf-8")["Content-Security-Policy"] == CSP
    assert "Content-Security-Policy" not in headers_for("/docs/assets/swagger-ui.css", "text/css")


def test_a_500_page_carries_every_security_header(client: TestClient) -> None:
    res = client.get("/boom")
    assert res.status_code == 500 and "kaboom" not in res.text
    assert res.headers["content-type"].startswith("text/html")
    _assert_page_headers(res.headers)
