"""The upvote button in headless Chromium: instant with the script, a plain form post without it, under the CSP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import LiveServer, MadeMember, make_member, start_server

from paperstand.community.models import Vote
from paperstand.db import make_engine
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DAY = "2025-03-11"
PHONE = {"width": 390, "height": 844}
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LiveServer, MadeMember]]:
    """A running server with two papers of the day (the first with 340 Hugging Face upvotes) and a member."""
    for live in start_server(f"sqlite:///{tmp_path / 'paperstand.db'}", tmp_path / "var"):
        engine = make_engine(live.db_url)
        with engine.begin() as conn:
            store_batch(conn, [
                PaperRecord(source="hf-daily", title="Sparse Lanterns for Deep Caves", arxiv_id="2503.00001",
                            hf_upvotes=340, featured_on=date.fromisoformat(DAY), position=1),
                PaperRecord(source="listing", title="Counting Sheep with Transformers", arxiv_id="2503.00002",
                            featured_on=date.fromisoformat(DAY), position=2)])
        member = make_member(engine, "ada")
        engine.dispose()
        yield live, member


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make chromium) to run browser tests")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _page(browser: Browser, live: LiveServer, member: MadeMember, *, js: bool, dark: bool = False) -> Page:
    context = browser.new_context(viewport=PHONE, java_script_enabled=js,  # type: ignore[arg-type]
                                  color_scheme="dark" if dark else "light")
    context.add_cookies([{"name": "ps_session", "value": member.cookie, "url": live.url}])
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    return page


def _rows(live: LiveServer) -> int:
    engine = make_engine(live.db_url)
    with Session(engine) as s:
        n = int(s.scalar(select(func.count()).select_from(Vote)) or 0)
    engine.dispose()
    return n


def test_the_script_votes_in_place(server: tuple[LiveServer, MadeMember], browser: Browser) -> None:
    live, member = server
    page = _page(browser, live, member, js=True)
    problems: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"{message.type}: {message.text}")

    page.on("console", keep)
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.goto(f"{live.url}/papers/date/{DAY}")
    page.evaluate("window.__stayed = true")  # gone if the page reloads
    card = page.locator("#paper-2503\\.00001")
    button = card.locator("button.vote-button")
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(card.locator(".hf-upvotes")).to_have_text("· 340 on Hugging Face")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".vote-count")).to_have_text("1")
    assert page.evaluate("window.__stayed === true"), "the vote reloaded the page"
    assert _rows(live) == 1
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button.locator(".vote-count")).to_have_text("0")
    assert _rows(live) == 0 and page.evaluate("window.__stayed === true")
    button.focus()
    page.keyboard.press("Enter")  # the keyboard works too
    expect(button).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("window.__violations") == [] and problems == []


def test_without_javascript_the_form_posts_and_comes_back(server: tuple[LiveServer, MadeMember],
                                                           browser: Browser) -> None:
    live, member = server
    page = _page(browser, live, member, js=False, dark=True)
    page.goto(f"{live.url}/papers/date/{DAY}")
    card = page.locator("#paper-2503\\.00002")
    card.locator("button.vote-button").click()
    page.wait_for_url(f"{live.url}/papers/date/{DAY}#paper-2503.00002")
    button = page.locator("#paper-2503\\.00002 button.vote-button")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".vote-count")).to_have_text("1")
    # Pressed, in dark mode: the theme's dark accent behind the count.
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(96, 165, 250)"
    assert _rows(live) == 1
    page.goto(f"{live.url}/papers/2503.00002")
    expect(page.locator("button.vote-button")).to_have_attribute("aria-pressed", "true")
