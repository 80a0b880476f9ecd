"""Search where readers meet it: the page, the API modes and filters, the feed, the terminal, similar papers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from paperstand.app import create_app
from paperstand.cli import app as cli_app
from paperstand.config import Settings
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch
from paperstand.search.sync import sync_search_indexes
from paperstand.search.vectors import embed_pending

PAPERS = [
    ("2501.00001", "Sparse Lanterns for Deep Caves", ["Ada Lovelace"], ["cs.RO"], 2025,
     "Autonomous robots explore underground tunnels faster when a few light beacons mark the junctions."),
    ("2501.00002", "Counting Sheep with Transformers", ["Grace Hopper"], ["cs.CV"], 2025,
     "A vision model estimates how many animals graze on a hillside from aerial photographs."),
    ("2501.00003", "Baking Benchmarks for Small Language Models", ["Alan Turing"], ["cs.CL"], 2024,
     "We release two thousand kitchen questions about bread and pastry and measure where compact chatbots fail."),
    ("2501.00004", "Protein Folding with Graph Networks", ["Rosalind Franklin"], ["q-bio.BM", "cs.LG"], 2024,
     "Message passing over residue contact graphs predicts three-dimensional molecular structure."),
    ("2501.00005", "Differential Privacy for Hospital Records", ["Cynthia Dwork"], ["cs.CR"], 2023,
     "Patient data can be shared for research while bounding what any attacker learns about one person."),
    ("2501.00006", "Tensor Sketches for Streaming Graphs", ["Grace Hopper", "Edsger Dijkstra"], ["cs.DS"], 2025,
     "We compress streaming graphs with sparse tensor sketches and bound the error of edge queries."),
]


@pytest.fixture
def env(engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """Six papers, keyword-indexed and embedded; a client and CLI environment on the same database."""
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="arxiv-oai", arxiv_id=aid, title=title, abstract=abstract,
                                       authors=authors, categories=cats,
                                       published_at=datetime(year, 3, 1, tzinfo=UTC))
                           for aid, title, authors, cats, year, abstract in PAPERS])
    sync_search_indexes(engine, index_dir=tmp_path / "search")
    embed_pending(engine, Settings(database_url=db_url, data_dir=tmp_path), index_dir=tmp_path / "search")
    for key, value in {"PAPERSTAND_DATABASE_URL": db_url, "PAPERSTAND_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(key, value)
    settings = Settings(database_url=db_url, data_dir=tmp_path, harvest_on_start=False)
    with TestClient(create_app(settings)) as client:
        yield client


def _ids(client: TestClient, **params: str) -> list[str]:
    response = client.get("/api/papers/search", params=params)
    assert response.status_code == 200, response.text
    return [item["paper"]["id"] for item in response.json()]


def test_api_modes_find_by_words_by_meaning_and_both(env: TestClient) -> None:
    assert _ids(env, q="tensor sketches", mode="keyword")[0] == "2501.00006"
    # No shared words with the title: only meaning can find it.
    assert _ids(env, q="anonymity guarantees for clinic files", mode="keyword") == []
    assert _ids(env, q="anonymity guarantees for clinic files", mode="semantic")[0] == "2501.00005"
    assert _ids(env, q="anonymity guarantees for clinic files")[0] == "2501.00005"  # hybrid default
    assert _ids(env, q="robots lighting underground tunnels")[0] == "2501.00001"


def test_api_filters_and_paging(env: TestClient) -> None:
    assert set(_ids(env, q="graphs", mode="keyword", category="cs.DS")) == {"2501.00006"}
    assert set(_ids(env, q="graphs", mode="keyword", author="Franklin")) == {"2501.00004"}
    assert set(_ids(env, q="graphs", mode="keyword", **{"from": "2025-01-01"})) == {"2501.00006"}
    assert set(_ids(env, q="author:Hopper")) == {"2501.00002", "2501.00006"}  # filters only
    first, second = _ids(env, q="models", limit="1"), _ids(env, q="models", limit="1", offset="1")
    assert len(first) == len(second) == 1 and first != second
    assert env.get("/api/papers/search", params={"q": "year:twenty"}).status_code == 400


def test_search_page(env: TestClient) -> None:
    page = env.get("/search", params={"q": "sheep counting", "mode": "keyword"})
    assert page.status_code == 200
    assert "<mark>Sheep</mark>" in page.text and "<mark>Counting</mark>" in page.text
    assert 'type="application/rss+xml"' in page.text and "matched by words" in page.text
    semantic = env.get("/search", params={"q": "estimating livestock numbers from drone images", "mode": "semantic"})
    assert semantic.text.index("Counting Sheep") < semantic.text.index("Protein Folding")
    empty = env.get("/search")
    assert empty.status_code == 200 and "author:" in empty.text  # the query-language guide
    bad = env.get("/search", params={"q": "from:yesterday"})
    assert bad.status_code == 400 and "from:" in bad.text
    filtered = env.get("/search", params={"q": "graphs", "category": "cs.DS", "mode": "keyword"})
    assert "Tensor Sketches" in filtered.text and "Protein Folding" not in filtered.text
    paged = env.get("/search", params={"q": "a", "mode": "semantic"})
    assert 'rel="next"' in paged.text or "Results 1–6" in paged.text


def test_search_feed_matches_the_page(env: TestClient) -> None:
    feed = feedparser.parse(env.get("/feeds/search.rss", params={"q": "tensor sketches", "mode": "keyword"}).text)
    assert feed.entries and feed.entries[0].title == "Tensor Sketches for Streaming Graphs"


def test_similar_papers_on_the_paper_page(env: TestClient) -> None:
    page = env.get("/papers/2501.00006")
    assert page.status_code == 200 and "Similar papers" in page.text
    similar = page.text[page.text.index("Similar papers"):]
    assert "Tensor Sketches for Streaming Graphs" not in similar  # never the paper itself
    assert "Protein Folding with Graph Networks" in similar


def test_terminal_search(env: TestClient) -> None:
    runner = CliRunner()
    result = runner.invoke(cli_app, ["search", "bread and pastry questions", "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert rows[0]["id"] == "2501.00003" and rows[0]["matched"]
    pretty = runner.invoke(cli_app, ["search", "tensor", "--mode", "keyword"])
    assert pretty.exit_code == 0 and "Tensor Sketches for Streaming Graphs" in pretty.output
    assert runner.invoke(cli_app, ["search", "x", "--mode", "fuzzy"]).exit_code == 2
    assert runner.invoke(cli_app, ["search", "to:2024-99"]).exit_code == 2
