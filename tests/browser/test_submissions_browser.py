"""Acceptance: a member submits a stored arXiv paper and finds it on today's page, "Submitted by @name"; a curator
marks it as a pick. Headless Chromium with JavaScript off: the forms work without it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import Engine
from tests.conftest import LiveServer, MadeMember, make_member, start_server
from tests.unit.community.submission_setup import store

from paperstand.db import make_engine

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NOW = datetime.now(UTC)

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[LiveServer, Engine]]:
    """A running server with yesterday's list and one stored, recent paper not featured yet."""
    url = f"sqlite:///{tmp_path / 'paperstand.db'}"
    for server in start_server(url, tmp_path / "var"):
        engine = make_engine(url)
        store(engine, "2503.00031", published=NOW - timedelta(days=1), featured_on=NOW.date() - timedelta(days=1))
        store(engine, "2503.00032", published=NOW - timedelta(days=1))
        yield server, engine
        engine.dispose()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run browser tests")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _page_as(browser: Browser, server: LiveServer, who: MadeMember) -> Page:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": "ps_session", "value": who.cookie, "url": server.url}])
    return context.new_page()


def test_submit_a_stored_paper_then_a_curator_picks_it(site: tuple[LiveServer, Engine], browser: Browser) -> None:
    server, engine = site
    ada, cat = make_member(engine, "ada"), make_member(engine, "cat", role="curator")
    page = _page_as(browser, server, ada)
    page.goto(server.url + "/")
    page.get_by_role("link", name="Submit", exact=True).click()
    expect(page.get_by_role("heading", name="Submit a paper")).to_be_visible()
    page.get_by_label("arXiv id or link").fill("https://arxiv.org/abs/2503.00032v1")
    page.get_by_role("button", name="Submit").click()
    assert page.url.startswith(f"{server.url}/papers/date/{NOW.date().isoformat()}?submitted=1")
    expect(page.get_by_role("status")).to_contain_text("your paper is on the list below")
    card = page.locator("#paper-2503\\.00032")
    expect(card).to_contain_text("Stored paper 2503.00032")
    expect(card.get_by_role("link", name="@ada")).to_have_attribute("href", "/u/ada")
    page.goto(server.url + "/papers/submit")  # again: refused, with the day it is on
    page.get_by_label("arXiv id or link").fill("2503.00031")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert")).to_contain_text("2503.00031 is already on")
    expect(page.get_by_label("arXiv id or link")).to_have_value("2503.00031")

    curator = _page_as(browser, server, cat)
    curator.goto(f"{server.url}/papers/date/{NOW.date().isoformat()}")
    curator.get_by_role("link", name="Curate this day").click()
    curator.get_by_role("button", name="★ Mark as pick").first.click()
    expect(curator.get_by_text("Curator's pick").first).to_be_visible()
    curator.goto(f"{server.url}/papers/date/{NOW.date().isoformat()}?sort=curated")
    expect(curator.locator("#paper-2503\\.00032")).to_contain_text("Curator's pick")
    curator.goto(f"{server.url}/papers/date/{NOW.date().isoformat()}/log")
    expect(curator.get_by_role("table")).to_contain_text("Marked as curator's pick")
