"""PostgreSQL answers keyword searches from the expression (GIN) index of migration 0005, not a scan."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, event

from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch
from paperstand.search.database import database_search
from paperstand.search.query import parse_query

TITLES = ("Diffusion models beat GANs", "Attention is all you need", "Sparse mixtures of experts")


def _plan(engine: Engine, query: str) -> str:
    """The EXPLAIN output of exactly the statement ``database_search`` runs for ``query``."""
    seen: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        seen.append((sql, params))

    with engine.connect() as conn:
        # A three-row table is cheaper to scan than to look up; forbid the scan to see which index fits.
        conn.exec_driver_sql("SET enable_seqscan = off")
        event.listen(conn, "before_cursor_execute", remember)
        hits = database_search(conn, parse_query(query), limit=10, offset=0)
        event.remove(conn, "before_cursor_execute", remember)
        sql, params = seen[-1]
        rows = conn.exec_driver_sql("EXPLAIN " + sql, params).scalars().all()
    assert hits, f"{query!r} should match a paper"
    return "\n".join(rows)


@pytest.mark.parametrize("query", ["diffusion", '"mixtures of experts"', "attention -gans"])
def test_keyword_search_uses_the_expression_index(engine: Engine, query: str) -> None:
    """The statement's document expression equals the index's, so the planner can use ix_papers_search."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite searches its FTS5 table; there is no plan to check")
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="arxiv-oai", title=t, arxiv_id=f"2501.0000{i}", version=1,
                                       authors=["Ada Lovelace"], abstract=f"About {t.lower()}.")
                           for i, t in enumerate(TITLES, 1)])
    plan = _plan(engine, query)
    assert "ix_papers_search" in plan and "Seq Scan on papers" not in plan, plan
