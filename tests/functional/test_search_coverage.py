"""While papers wait to be embedded, search says so; result lists show dates and an approximate total."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch
from paperstand.search.query import parse_query
from paperstand.search.service import SearchPage
from paperstand.search.sync import sync_search_indexes

PAPERS = 25


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """Twenty-five papers about lanterns, keyword-indexed, none embedded yet."""
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="arxiv-oai", arxiv_id=f"2501.{i:05d}", title=f"Lantern study {i}",
                                       abstract="Light in caves.", authors=["Ada Lovelace"], categories=["cs.RO"],
                                       published_at=datetime(2025, 3, 11, tzinfo=UTC))
                           for i in range(1, PAPERS + 1)])
    sync_search_indexes(engine, index_dir=tmp_path / "search" / "keyword")
    settings = Settings(database_url=db_url, data_dir=tmp_path, harvest_on_start=False, worker="off")
    with TestClient(create_app(settings)) as c:
        yield c


def test_api_says_how_much_is_searchable_by_meaning_and_answers_by_keywords(client: TestClient) -> None:
    response = client.get("/api/papers/search", params={"q": "lantern"})
    assert response.status_code == 200
    assert response.headers["X-Semantic-Coverage"] == f"0/{PAPERS}"
    assert len(response.json()) == 20  # keywords answer meanwhile
    keyword = client.get("/api/papers/search", params={"q": "lantern", "mode": "keyword"})
    assert "X-Semantic-Coverage" not in keyword.headers  # meaning was not asked


def test_search_page_notice_dates_and_total(client: TestClient) -> None:
    page = client.get("/search", params={"q": "lantern"})
    assert page.status_code == 200
    assert f"No papers are searchable by meaning yet ({PAPERS} are waiting to be embedded)" in page.text
    assert '<time datetime="2025-03-11">Mar 11, 2025</time>' in page.text
    assert f"Results 1–20 of about {PAPERS}" in page.text
    last = client.get("/search", params={"q": "lantern", "mode": "keyword", "p": "2"})
    assert f"Results 21–{PAPERS} of about {PAPERS}" in last.text


def test_paper_page_says_similar_papers_wait_for_embeddings(client: TestClient) -> None:
    page = client.get("/papers/2501.00001")
    assert page.status_code == 200
    assert "Similar papers" in page.text and "Waiting for embeddings" in page.text


@pytest.mark.parametrize(("total", "offset", "has_next", "label"), [
    (6, 0, False, "6"), (1240, 0, True, "about 1,240"), (45, 40, False, "about 45"),
    (10_000, 0, True, "more than 10,000"),
])
def test_total_label(total: int, offset: int, has_next: bool, label: str) -> None:
    page = SearchPage("q", parse_query("q"), "keyword", [], offset, 20, has_next, total=total)
    assert page.total_label == label
