"""/docs in headless Chromium: Swagger UI lists the API's operations under the site's CSP, with no errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, expect, sync_playwright
from tests.conftest import LiveServer, start_server

from paperstand.web.security import CSP

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Runs before the page's own scripts (Playwright injects it outside the page's CSP) and keeps every
# policy violation, including ones Chromium reports only as events.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A running server on an empty SQLite database (the docs do not depend on the database)."""
    yield from start_server(f"sqlite:///{tmp_path / 'paperstand.db'}", tmp_path / "var")


def test_docs_render_under_the_csp_without_console_errors(server: LiveServer) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make chromium) to run browser tests")
    res = httpx.get(server.url + "/docs")
    assert res.headers["content-security-policy"] == CSP
    assert "<script>" not in res.text  # every script has a src
    schema = httpx.get(server.url + "/openapi.json").json()
    operations = sum(len(methods) for methods in schema["paths"].values())
    messages: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.add_init_script(RECORD_VIOLATIONS)

        def keep(message: ConsoleMessage) -> None:
            if message.type in ("error", "warning"):
                messages.append(f"{message.type}: {message.text}")

        page.on("console", keep)
        page.on("pageerror", lambda exc: messages.append(f"pageerror: {exc}"))
        page.goto(server.url + "/docs")
        expect(page.locator(".opblock-summary-path", has_text="/api/daily_papers").first).to_be_visible()
        assert page.locator(".opblock").count() == operations
        page.locator(".opblock-summary", has_text="/api/daily_papers").first.click()
        expect(page.locator(".opblock-body").first).to_be_visible()  # an operation opens: the UI is alive
        violations = page.evaluate("window.__violations")
        browser.close()
    assert violations == []
    assert messages == []
