"""Searching inside a library: the site's query language and modes, and never a paper outside it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.config import Settings
from paperstand.ingest.record import PaperRecord
from paperstand.library import service
from paperstand.library.search import library_search
from paperstand.papers.store import store_batch
from paperstand.search.vectors import embed_pending

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
RECORDS = [
    PaperRecord(source="hf-daily", title="Graph neural networks for molecules", arxiv_id="2501.00001",
                abstract="Message passing networks predict molecular properties.", authors=["Ada Lovelace"],
                categories=["cs.LG"], published_at=datetime(2025, 1, 2, tzinfo=UTC), featured_on=date(2025, 3, 11),
                position=1),
    PaperRecord(source="hf-daily", title="Diffusion models for image synthesis", arxiv_id="2501.00002",
                abstract="Denoising diffusion generates images.", authors=["Grace Hopper"], categories=["cs.CV"],
                published_at=datetime(2025, 1, 3, tzinfo=UTC), featured_on=date(2025, 3, 11), position=2),
    PaperRecord(source="hf-daily", title="Graph transformers at scale", arxiv_id="2501.00003",
                abstract="Attention over graph nodes.", authors=["Alan Turing"], categories=["cs.LG"],
                published_at=datetime(2024, 6, 1, tzinfo=UTC), featured_on=date(2025, 3, 11), position=3),
    # Not saved: it matches "graph" but must never appear.
    PaperRecord(source="hf-daily", title="Graph graph graph", arxiv_id="2501.00004", abstract="graph",
                featured_on=date(2025, 3, 11), position=4),
]


def _library(engine: Engine) -> int:
    with engine.begin() as conn:
        store_batch(conn, RECORDS)
    ada = make_member(engine, "ada")
    with Session(engine) as s:
        service.create_collection(s, member_id=ada.id, name="Vision", now=NOW)
        for pid in ("2501.00001", "2501.00003"):
            service.save_paper(s, member_id=ada.id, public_id=pid, now=NOW)
        service.save_paper(s, member_id=ada.id, public_id="2501.00002", slug="vision", now=NOW)
    return ada.id


def _ids(engine: Engine, member: int, text: str, mode: str = "keyword", slug: str | None = None,
         settings: Settings | None = None) -> list[str]:
    with Session(engine) as s:
        found = library_search(s, member_id=member, text=text, mode=mode, slug=slug,
                               settings=settings or Settings())
        assert found.error is None, found.error
        return [c.paper.public_id for c in found.cards]


def test_keyword_search_ranks_and_filters_only_saved_papers(engine: Engine) -> None:
    member = _library(engine)
    assert _ids(engine, member, "graph") == ["2501.00003", "2501.00001"]  # the shorter text ranks first
    assert _ids(engine, member, "graph -transformers") == ["2501.00001"]
    assert _ids(engine, member, '"message passing"') == ["2501.00001"]
    assert _ids(engine, member, "author:turing") == ["2501.00003"]
    assert _ids(engine, member, "cat:cs.CV") == ["2501.00002"]
    assert _ids(engine, member, "graph from:2025-01-01") == ["2501.00001"]
    assert _ids(engine, member, "graph", slug="vision") == []
    assert _ids(engine, member, "diffusion", slug="vision") == ["2501.00002"]
    with Session(engine) as s:
        bad = library_search(s, member_id=member, text="from:2025-13-45", mode="keyword", settings=Settings())
        assert bad.error and "from" in bad.error
        assert library_search(s, member_id=member, text="x", mode="nope", settings=Settings()).error


def test_meaning_search_without_vectors_says_so_and_uses_words(engine: Engine) -> None:
    member = _library(engine)
    with Session(engine) as s:
        found = library_search(s, member_id=member, text="graph", mode="hybrid", settings=Settings())
    assert found.mode == "keyword" and "searchable by meaning" in found.notices[0]


@pytest.fixture(scope="module")
def model() -> object:
    from paperstand.search.embedder import embedder_for

    try:
        return embedder_for(Settings()).load()
    except (ImportError, FileNotFoundError) as exc:
        pytest.skip(f"embedding model unavailable: {exc}")


def test_meaning_search_finds_a_paraphrase_among_saved_papers(engine: Engine, tmp_path: Path, model: object) -> None:
    member = _library(engine)
    embed_pending(engine, encoder=model, index_dir=tmp_path)  # type: ignore[arg-type]
    settings = Settings(data_dir=tmp_path)
    semantic = _ids(engine, member, "chemistry with neural nets on molecular structures", "semantic",
                    settings=settings)
    assert semantic[0] == "2501.00001" and "2501.00004" not in semantic and len(semantic) == 3
    hybrid = _ids(engine, member, "graph", "hybrid", settings=settings)
    assert set(hybrid[:2]) == {"2501.00001", "2501.00003"} and "2501.00004" not in hybrid
    with Session(engine) as s:
        assert s.scalar(select(service.Collection.id).where(service.Collection.slug == "vision")) is not None
