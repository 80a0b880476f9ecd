"""How many SQL statements the busiest pages cost uncached: a bound, so a change that adds a query per paper fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.ingest.run import import_file

DAY = date(2025, 3, 11)
# Measured 9 for the day page (latest day, picks, signals, local votes, neighbours, arXiv day,
# Last-Modified...); the bound leaves room for one or two more, never one per paper (69 here).
MAX_QUERIES = {"/": 12, f"/papers/date/{DAY}": 12, f"/api/daily_papers?date={DAY}&limit=100": 6,
               "/feeds/latest.rss": 8}


@pytest.fixture
def uncached(engine: Engine, db_url: str, seed_listing: Path) -> Iterator[TestClient]:
    """A client without the page cache, over the seed listing featured on one day (69 papers)."""
    assert import_file(engine, seed_listing, featured_on=DAY).new == 69
    with TestClient(create_app(Settings(database_url=db_url, harvest_on_start=False, page_cache_mb=0))) as client:
        yield client


@pytest.mark.parametrize("path", list(MAX_QUERIES))
def test_a_page_of_69_papers_costs_a_few_queries(uncached: TestClient, path: str) -> None:
    statements: list[str] = []
    engine = uncached.app.state.engine  # type: ignore[attr-defined]

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = uncached.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200
    assert page.text.count("ps-") >= 69  # every paper is there (listing papers have local keys)
    assert len(statements) <= MAX_QUERIES[path], "\n".join(statements)
