"""Acceptance: a day of 69 papers on a 390 px phone is short, sorts by upvotes, curated order or date, and
opens an abstract, all without JavaScript."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from tests.conftest import SHARED, LiveServer, start_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = Path(__file__).parents[1] / "fixtures" / "pages"
SEED = SHARED / "seed" / "daily-papers-listing.txt"
DAY = "2025-03-11"
PHONE = {"width": 390, "height": 844}
# Hugging Face upvotes and arXiv dates for three of the day's papers (5th, 12th and 30th in file order).
VOTES = PAGES / "hf-daily-2025-03-11-votes.json"
FIFTH = "Continual Learning with Dependency Preserving Hypernetworks"  # 19 upvotes, published 2022
TWELFTH = "Exploiting the Brain's Network Structure for Automatic Identification of ADHD Subjects"  # 3, 2023
THIRTIETH = "Convergent Learning: Do different neural networks learn the same representations?"  # 50, 2016

pytestmark = pytest.mark.browser


def _fallback_listing(path: Path) -> Path:
    """A capture-shaped listing of 69 papers with long abstracts, for when the seed capture is absent."""
    named = {5: FIFTH, 12: TWELFTH, 30: THIRTIETH}
    parts = ["Daily Papers", "Mar 11"]
    for n in range(1, 70):
        parts.append(named.get(n, f"Paper {n}: Lanterns, Sheep and the Long Tail of Benchmark Results"))
        parts.append(" ".join([f"Sentence {i} of the abstract of paper {n}, which runs long like a real one."
                               for i in range(20)]))
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def day_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A running server holding the seed day (69 papers), three of them with upvotes and arXiv dates."""
    for server in start_server(f"sqlite:///{tmp_path / 'paperstand.db'}", tmp_path / "var"):
        listing = SEED if SEED.exists() else _fallback_listing(tmp_path / "listing.txt")
        for args in (("import", str(listing), "--featured-on", DAY), ("import", str(VOTES))):
            done = server.run_cli(*args)
            assert done.returncode == 0, done.stderr
        yield server


@pytest.fixture
def phone() -> Iterator[Page]:
    """A 390 px wide page in headless Debian Chromium with JavaScript off: everything must work without it."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make chromium) to run browser tests")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
        finally:
            browser.close()


def _titles(page: Page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("h3.card-title").all_inner_texts()]


def test_day_page_on_a_phone_is_short_sorts_and_expands(day_server: LiveServer, phone: Page) -> None:
    page = phone
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{day_server.url}/papers/date/{DAY}")
    cards = page.locator("article.card")
    expect(cards).to_have_count(69)

    # Short: under three screens per ten papers, and nothing wider than the phone.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 3 * PHONE["height"] * 69 / 10, f"{height} px for 69 papers"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Top (the default): most upvoted first, then the curated order.
    top = _titles(page)
    assert top[:3] == [THIRTIETH, FIFTH, TWELFTH]
    expect(page.locator("nav.sort a[aria-current]")).to_have_text("Top")
    page.locator("nav.sort").get_by_role("link", name="Curated order", exact=True).click()
    assert page.url.endswith(f"/papers/date/{DAY}?sort=curated")
    curated = _titles(page)
    assert curated[4] == FIFTH and curated[11] == TWELFTH and curated[29] == THIRTIETH
    assert sorted(curated) == sorted(top) and curated != top
    assert top[3:] == [t for t in curated if t not in (FIFTH, TWELFTH, THIRTIETH)]
    expect(page.locator("nav.sort a[aria-current]")).to_have_text("Curated order")
    page.locator("nav.sort").get_by_role("link", name="Newest", exact=True).click()
    assert _titles(page)[:3] == [TWELFTH, FIFTH, THIRTIETH]
    page.locator("nav.sort").get_by_role("link", name="Top", exact=True).click()
    assert _titles(page) == top

    # Expand one abstract: clamped to a few lines first, then whole.
    card = cards.nth(0)
    abstract = card.locator("p.abstract")
    clamped = abstract.evaluate("e => [e.clientHeight, e.scrollHeight]")
    assert clamped[1] > clamped[0] + 20, "the abstract starts clamped"
    assert clamped[0] < 100, f"the clamped abstract is {clamped[0]} px tall"
    card.get_by_text("Read more").click()
    expect(card.get_by_text("Show less")).to_be_visible()
    opened = abstract.evaluate("e => [e.clientHeight, e.scrollHeight]")
    assert opened[0] >= opened[1] == clamped[1], "the whole abstract shows"
    card.get_by_text("Show less").click()
    assert abstract.evaluate("e => e.clientHeight") == clamped[0]
    assert errors == []
