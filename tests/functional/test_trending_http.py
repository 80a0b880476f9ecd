"""/papers/trending, its feeds and ``/api/daily_papers?sort=trending``: the stored score's order, lines that add up."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from html import unescape

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.unit.ranking.trending_rows import NOW, comment, member, paper, random_community, vote

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.papers.models import Paper
from paperstand.ranking.models import TrendingScore
from paperstand.ranking.service import recompute_all
from paperstand.web import trending as trending_page

BASE = "http://papers.example.org"
_CARD = re.compile(r'<h3 class="card-title"><a href="/papers/([^"]+)">.*?<p class="why">'
                   r'<span class="sr">Trending score: </span>([^<]+)</p>', re.S)
_PART = re.compile(r"([+−])(\d+\.\d)")


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    """A client on an empty database (tests add what they need)."""
    with TestClient(create_app(Settings(database_url=db_url, harvest_on_start=False, base_url=BASE))) as c:
        yield c


def _stored_order(engine: Engine) -> list[tuple[str, float]]:
    with Session(engine) as s:
        rows = s.execute(select(Paper.arxiv_id, TrendingScore.score).join(Paper, Paper.id == TrendingScore.paper_id)
                         .order_by(TrendingScore.score.desc(), TrendingScore.paper_id)).all()
    return [(pid or "", score) for pid, score in rows]


def _text(html: str) -> str:
    """The page with its whitespace collapsed (templates wrap long sentences)."""
    return " ".join(html.split())


def _cards(html: str) -> list[tuple[str, str]]:
    return [(pid, unescape(why)) for pid, why in _CARD.findall(html)]


def _adds_up(why: str) -> Decimal:
    """The printed score, after checking that the printed parts sum to it exactly."""
    parts, total = why.rsplit(" = ", 1)
    printed = Decimal(total.replace("−", "-"))
    assert sum((Decimal(n) * (-1 if sign == "−" else 1) for sign, n in _PART.findall(parts)), Decimal(0)) == printed
    return printed


def _community(engine: Engine, seed: int = 3, papers: int = 40) -> None:
    with Session(engine) as s:
        random_community(s, seed=seed, papers=papers)
        recompute_all(s, now=NOW)


def test_the_page_is_in_stored_score_order_and_every_line_adds_up(engine: Engine, client: TestClient) -> None:
    _community(engine)
    stored = _stored_order(engine)
    assert len(stored) > 10 and len({score for _, score in stored}) > 5
    page = client.get("/papers/trending")
    assert page.status_code == 200 and 'href="/feeds/trending.rss"' in page.text
    cards = _cards(page.text)
    assert [pid for pid, _ in cards] == [pid for pid, _ in stored]
    assert [_adds_up(why) for _, why in cards] == [Decimal(str(score)) for _, score in stored]
    text = _text(page.text)
    assert f"{len(stored)} papers with recent votes or comments" in text
    assert "How the score works" in text and "for each doubling of the upvotes of the last 7 days" in text


def test_pages_of_the_list_follow_one_another(engine: Engine, client: TestClient,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _community(engine)
    monkeypatch.setattr(trending_page, "PER_PAGE", 7)
    stored = [pid for pid, _ in _stored_order(engine)]
    pages = -(-len(stored) // 7)
    seen: list[str] = []
    for n in range(1, pages + 1):
        response = client.get("/papers/trending", params={"p": n} if n > 1 else {})
        assert response.status_code == 200 and f"page {n} of {pages}" in response.text
        seen += [pid for pid, _ in _cards(response.text)]
    assert seen == stored
    assert 'rel="next" href="/papers/trending?p=2"' in client.get("/papers/trending").text
    past = client.get("/papers/trending", params={"p": pages + 1})
    assert past.status_code == 404 and f"has {pages} pages" in past.text
    for bad in ("0", "-1", "two", "1" * 40, "1\x00"):
        assert client.get("/papers/trending", params={"p": bad}).status_code in (400, 404), bad


def test_an_empty_list_says_how_the_score_works(client: TestClient) -> None:
    page = client.get("/papers/trending")
    text = unescape(_text(page.text))
    assert page.status_code == 200 and "Nothing has trended yet." in text
    assert "−1 for every 24 hours since the paper appeared on arXiv" in text
    assert "counts 0.5" in text and "submitter's and the verified authors' own votes do not count" in text
    assert client.get("/papers/trending", params={"p": 2}).status_code == 404


def test_every_page_links_to_trending(engine: Engine, client: TestClient) -> None:
    with Session(engine) as s:
        paper(s, "Featured", published=NOW - timedelta(hours=5), arxiv_id="2611.00001", day=NOW.date(), upvotes=3)
        s.commit()
    for path in ("/", f"/papers/date/{NOW.date()}", "/papers/trending", "/search"):
        html = client.get(path).text
        assert '<a href="/papers/trending">Trending</a>' in html, path


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_the_feeds_list_the_first_page_in_order(engine: Engine, client: TestClient, fmt: str) -> None:
    _community(engine, seed=4)
    response = client.get(f"/feeds/trending.{fmt}")
    assert response.status_code == 200 and response.headers["content-type"].startswith(f"application/{fmt}+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title.startswith("Trending papers")
    page_ids = [pid for pid, _ in _cards(client.get("/papers/trending").text)]
    assert [e.id for e in feed.entries] == [f"{BASE}/papers/{pid}" for pid in page_ids[:trending_page.FEED_LIMIT]]
    assert client.get("/feeds/trending.xml").status_code == 404


def test_the_api_sorts_featured_papers_by_the_stored_score(engine: Engine, client: TestClient) -> None:
    with Session(engine) as s:
        voters = [member(s, f"v{i}", joined=NOW - timedelta(days=40)) for i in range(8)]
        ids = {}
        for n, (upvotes, votes) in enumerate([(50, 0), (1, 2), (9, 0), (3, 8), (20, 0)], start=1):
            ids[n] = paper(s, f"P{n}", published=NOW - timedelta(hours=20), arxiv_id=f"2611.0000{n}",
                           day=NOW.date(), upvotes=upvotes)
            for voter in voters[:votes]:
                vote(s, ids[n], voter, NOW - timedelta(hours=1))
        comment(s, ids[3], voters[0], NOW - timedelta(hours=2))
        s.commit()
        recompute_all(s, now=NOW)
    items = client.get("/api/daily_papers", params={"sort": "trending"}).json()
    # Scored: P4 (8 votes), P2 (2 votes), P3 (a comment); then the rest by Hugging Face upvotes.
    assert [i["paper"]["id"] for i in items] == ["2611.00004", "2611.00002", "2611.00003", "2611.00001",
                                                 "2611.00005"]
    default = [i["paper"]["id"] for i in client.get("/api/daily_papers").json()]
    assert default == [f"2611.0000{n}" for n in range(1, 6)]  # the curated order is untouched
