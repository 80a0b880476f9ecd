"""Search by the arXiv date (also a month taken from the id) and by archive, in every mode and engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.ingest.record import PaperRecord
from paperstand.ingest.run import import_file
from paperstand.papers.store import store_batch
from paperstand.search.keyword import keyword_search
from paperstand.search.query import parse_query
from paperstand.search.sync import keyword_index_dir, reindex, sync_search_indexes
from paperstand.search.vectors import embed_pending

FIXTURE = Path(__file__).parents[1] / "fixtures" / "arxiv" / "daily-2026-05.jsonl"
MAY = {"2605.00101", "2605.00102", "2605.00103", "2605.00104", "2605.00105"}
CS = {"2605.00101", "2605.00102", "2605.00105", "2604.09901", "2606.00001"}
JUNE = "2606.00001"  # dated to the day by its source


def _load(engine: Engine, index_dir: Path) -> None:
    summary = import_file(engine, FIXTURE)
    assert summary.rejected == 0, summary.rejections
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="arxiv-atom", arxiv_id=JUNE, title="Pruning Tokenizers in June",
                                       abstract="Tokenizers for dialects, pruned like hedges.", categories=["cs.CL"],
                                       published_at=datetime(2026, 6, 2, 10, 0, tzinfo=UTC))])
    sync_search_indexes(engine, index_dir=index_dir)


@pytest.fixture(params=["database", "tantivy"])
def keyword_engine(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> str:
    """The papers loaded; which keyword engine answers."""
    monkeypatch.setenv("PAPERSTAND_DATA_DIR", str(tmp_path / "var"))
    _load(engine, tmp_path / "var" / "search" / "keyword")
    if request.param == "tantivy":
        assert reindex(engine, tmp_path / "var" / "search" / "keyword") == 7
    return str(request.param)


def _keyword(engine: Engine, which: str, query: str) -> set[str]:
    hits = keyword_search(engine, parse_query(query), engine=which, limit=50,  # type: ignore[arg-type]
                          index_dir=keyword_index_dir(Settings().data_dir))
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT id, arxiv_id FROM papers")).all())
    return {ids[h.paper_id] for h in hits}


@pytest.mark.parametrize(("query", "expected"), [
    ("from:2026-05-01 to:2026-05-31", MAY),
    ("from:2026-05 to:2026-05", MAY),
    ("year:2026", MAY | {"2604.09901", JUNE}),
    ("to:2026-04-30", {"2604.09901"}),
    ("from:2026-06-02", {JUNE}),
    ("cat:cs", CS),
    ("cat:cs.CL", {"2605.00101", "2604.09901", JUNE}),
    ("cat:math", {"2605.00103"}),
    ("cat:math.AG", {"2605.00103"}),
    ("cat:hep-th", {"2605.00104"}),
    ("cat:cs from:2026-05-01 to:2026-05-31", {"2605.00101", "2605.00102", "2605.00105"}),
    ("tokenizers cat:cs from:2026-05-01 to:2026-05-31", {"2605.00101"}),
    ("tokenizers cat:cs", {"2605.00101", JUNE}),
])
def test_keyword_filters_use_the_arxiv_date_and_archives(engine: Engine, keyword_engine: str, query: str,
                                                         expected: set[str]) -> None:
    assert _keyword(engine, keyword_engine, query) == expected


def test_an_index_of_the_old_format_is_not_used(engine: Engine, keyword_engine: str, tmp_path: Path) -> None:
    """An index built before dates came from ids would miss them: keyword search uses the database until rebuilt."""
    from paperstand.search import tantivy_index
    from paperstand.search.sync import fast_index_ready

    path = tmp_path / "var" / "search" / "keyword"
    if keyword_engine != "tantivy":
        pytest.skip("only a built index has a format")
    assert fast_index_ready(engine, path)
    meta = tantivy_index.read_meta(path) or {}
    (path / tantivy_index.META_FILE).write_text(__import__("json").dumps({k: v for k, v in meta.items()
                                                                          if k != "format"}))
    assert not fast_index_ready(engine, path)
    assert _keyword(engine, "auto", "from:2026-05-01 to:2026-05-31") == MAY


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The papers loaded, keyword-indexed and embedded (the model the product ships); an API client."""
    for key, value in {"PAPERSTAND_DATABASE_URL": db_url, "PAPERSTAND_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(key, value)
    _load(engine, tmp_path / "search" / "keyword")
    embed_pending(engine, Settings(database_url=db_url, data_dir=tmp_path), index_dir=tmp_path / "search")
    with TestClient(create_app(Settings(database_url=db_url, data_dir=tmp_path, harvest_on_start=False))) as c:
        yield c


def _api(client: TestClient, **params: str) -> set[str]:
    response = client.get("/api/papers/search", params={"limit": "50", **params})
    assert response.status_code == 200, response.text
    return {item["paper"]["id"] for item in response.json()}


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_every_mode_filters_by_arxiv_date_and_archive(client: TestClient, mode: str) -> None:
    may = {"from": "2026-05-01", "to": "2026-05-31"}
    # Semantic ranking returns every paper passing the filters; keyword only those with a matching word.
    found = _api(client, q="pruning hedges tokenizers", mode=mode, **may)
    assert found and found <= MAY
    assert "2605.00102" in found
    cs = _api(client, q="tokenizers for dialects cat:cs", mode=mode)
    assert cs and cs <= CS and {"2605.00101", JUNE} <= cs
    assert _api(client, q="curves on surfaces", mode=mode, category="math") <= {"2605.00103"}
    if mode != "keyword":
        assert _api(client, q="language", mode=mode, **may) == MAY
        assert _api(client, q="language cat:cs from:2026-05-01 to:2026-05-31", mode=mode) == {
            "2605.00101", "2605.00102", "2605.00105"}
        assert _api(client, q="strings", mode=mode, category="hep-th") == {"2605.00104"}
