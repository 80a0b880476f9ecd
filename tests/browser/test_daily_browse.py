"""A reader in a real browser: from one day to the previous and next, then into a paper."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from tests.conftest import LiveServer, start_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = Path(__file__).parents[1] / "fixtures" / "pages"

pytestmark = pytest.mark.browser


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A running server on a fresh SQLite database (the browser flow does not depend on the database)."""
    yield from start_server(f"sqlite:///{tmp_path / 'paperstand.db'}", tmp_path / "var")


@pytest.fixture
def browser_page() -> Iterator[Page]:
    """A page in headless Debian Chromium (never a downloaded browser)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make chromium) to run browser tests")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def _import(server: LiveServer, day: str) -> None:
    done = server.run_cli("import", str(PAGES / f"day-{day}.txt"), "--featured-on", day)
    assert done.returncode == 0, done.stderr


def test_previous_next_and_paper_page(sqlite_server: LiveServer, browser_page: Page) -> None:
    page = browser_page
    # A CSP violation (an inline style or script slipping in) shows up as a console error.
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    for day in ("2025-03-10", "2025-03-11", "2025-03-13"):
        _import(sqlite_server, day)

    page.goto(f"{sqlite_server.url}/papers/date/2025-03-11")
    header = page.locator("h2.date-header")
    expect(header).to_have_text("Mar 11, 2025")
    page.get_by_role("link", name="Previous day").click()
    expect(header).to_have_text("Mar 10, 2025")
    assert page.url.endswith("/papers/date/2025-03-10")
    page.get_by_role("link", name="Next day").click()
    expect(header).to_have_text("Mar 11, 2025")

    page.get_by_role("link", name="Counting Sheep with Transformers").click()
    expect(page.locator("h1#paper-title")).to_have_text("Counting Sheep with Transformers")
    expect(page.locator("p.abstract")).to_contain_text("counts sheep in aerial photographs of hillside")
    # The stylesheet loaded (the CSP allows it): cards and abstracts are styled, not browser defaults.
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")
    assert errors == []
