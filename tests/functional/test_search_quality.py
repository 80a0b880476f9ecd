"""Search quality that stays: half-remembered queries through the whole pipeline, on both databases.

A corpus of our own (tests/fixtures/search_quality/papers.jsonl, in the daily-arXiv JSON-lines format the
real data uses) holds short descriptions, in our own words, of fifteen papers of the dev set
(bench/search_dev_set.jsonl) beside fifty-one distractors on the same topics (other try-on methods, other
pulse-from-video papers, other Hebrew speech work...). Those fifteen dev-set queries go through
``paperstand import``'s importer, the keyword index build, the embedding backfill with the bundled model and
``GET /api/papers/search`` in its default mode; the right paper must come back near the top often enough.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.ingest.run import import_file
from paperstand.search.embedder import embedder_for
from paperstand.search.sync import keyword_index_dir, reindex
from paperstand.search.vectors import embed_pending

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fixtures" / "search_quality" / "papers.jsonl"
DEV_SET = ROOT / "bench" / "search_dev_set.jsonl"
# Floors, just under what the pipeline reaches (every query's paper first: MRR@10 1.00). The fusion and
# field weights before the dev-set tuning (RRF k = 3 weighted 2:1 for keywords, title boost 3.0) put two of
# the fifteen at ranks 2 and 3 (MRR@10 0.92) and fail here; so does any change that loses a paper from the
# top 5 or moves two of them down a place.
MIN_RECALL_AT_5 = 15 / 15
MIN_RECALL_AT_10 = 15 / 15
MIN_MRR_AT_10 = 0.95


def fixture_queries() -> list[tuple[str, str]]:
    """(arXiv id, query) of the dev-set rows whose paper the fixture corpus describes."""
    with CORPUS.open(encoding="utf-8") as fh:
        ids = {json.loads(line)["id"] for line in fh}
    with DEV_SET.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [(r["arxiv_id"], r["query"]) for r in rows if r["arxiv_id"] in ids]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the built int8 model graph, shared by both databases' runs (it takes a while to build)."""
    folder = tmp_path_factory.mktemp("models-home")
    try:
        embedder_for(Settings(data_dir=folder)).load()
    except (ImportError, FileNotFoundError) as exc:
        pytest.skip(f"embedding model unavailable: {exc}")
    return folder / "models"


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path, models: Path) -> Iterator[TestClient]:
    """The fixture corpus imported, keyword-indexed and embedded; a client of the app on that database."""
    (tmp_path / "models").symlink_to(models, target_is_directory=True)
    settings = Settings(database_url=db_url, data_dir=tmp_path, harvest_on_start=False)
    summary = import_file(engine, CORPUS)
    assert not summary.rejected
    assert reindex(engine, keyword_index_dir(settings.data_dir)) == 66
    assert embed_pending(engine, settings, device="cpu").embedded == 66
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_fixture_covers_fifteen_dev_queries() -> None:
    assert len(fixture_queries()) == 15


def test_half_remembered_queries_find_their_paper(client: TestClient) -> None:
    ranks: dict[str, int | None] = {}
    for arxiv_id, query in fixture_queries():
        response = client.get("/api/papers/search", params={"q": query, "limit": "10"})
        assert response.status_code == 200, response.text
        found = [item["paper"]["id"] for item in response.json()]
        ranks[arxiv_id] = found.index(arxiv_id) + 1 if arxiv_id in found else None
    n = len(ranks)
    recall5 = sum(1 for r in ranks.values() if r and r <= 5) / n
    recall10 = sum(1 for r in ranks.values() if r) / n
    mrr = sum(1 / r for r in ranks.values() if r) / n
    detail = f"ranks {ranks}: recall@5 {recall5:.2f}, recall@10 {recall10:.2f}, MRR@10 {mrr:.2f}"
    assert recall5 >= MIN_RECALL_AT_5 and recall10 >= MIN_RECALL_AT_10 and mrr >= MIN_MRR_AT_10, detail
