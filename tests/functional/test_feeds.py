"""Feeds: RSS and Atom for days, weeks, months and search parse with feedparser and match the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html import unescape
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.ingest.run import import_file

PAGES = Path(__file__).parents[1] / "fixtures" / "pages"
DAYS = ["2025-02-26", "2025-03-10", "2025-03-11", "2025-03-13"]
BASE = "http://papers.example.org"


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    """A client on a database holding four featured days."""
    for day in DAYS:
        assert import_file(engine, PAGES / f"day-{day}.txt", featured_on=date.fromisoformat(day)).rejected == 0
    app = create_app(Settings(database_url=db_url, harvest_on_start=False, base_url=BASE))
    with TestClient(app) as test_client:
        yield test_client


def _page_links(html: str) -> list[str]:
    """Paper links of the cards on a page, in order."""
    return [BASE + href for href in re.findall(r'<h3 class="card-title"><a href="([^"]+)"', html)]


def _feed(client: TestClient, path: str) -> feedparser.FeedParserDict:
    response = client.get(path)
    assert response.status_code == 200, response.text
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


@pytest.mark.parametrize("fmt", ["rss", "atom"])
@pytest.mark.parametrize("page", ["date/2025-03-11", "week/2025-W11", "month/2025-03"])
def test_period_feed_has_the_pages_papers(client: TestClient, page: str, fmt: str) -> None:
    """Same papers, same order, as the page; the page links to its feed."""
    html = client.get(f"/papers/{page}").text
    links = _page_links(html)
    assert links, "the page shows papers"
    parsed = _feed(client, f"/feeds/{page}.{fmt}")
    assert [e.link for e in parsed.entries] == links
    assert f'href="/feeds/{page}.{fmt}"' in html
    assert all(e.summary for e in parsed.entries)
    titles = [unescape(t) for t in re.findall(r'<h3 class="card-title"><a href="[^"]+">([^<]+)</a>', html)]
    assert [e.title for e in parsed.entries] == titles


def test_latest_feed_is_the_latest_day(client: TestClient) -> None:
    """/feeds/latest.rss mirrors the front page."""
    assert [e.link for e in _feed(client, "/feeds/latest.rss").entries] == _page_links(client.get("/").text)


def test_search_feed(client: TestClient) -> None:
    """A keyword feed holds the matching papers."""
    parsed = _feed(client, "/feeds/search.atom?q=sheep")
    assert [e.title for e in parsed.entries] == ["Counting Sheep with Transformers"]


def test_bad_feed_addresses(client: TestClient) -> None:
    """A bad date is a 400; an unknown kind or extension is a 404."""
    assert client.get("/feeds/date/2025-02-30.rss").status_code == 400
    assert client.get("/feeds/year/2025.rss").status_code == 404
    assert client.get("/feeds/date/2025-03-11.json").status_code == 404
