"""Drawing random papers for a member's model reads the ends of the primary key, never scans the table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from paperstand.db import make_engine, migrate
from paperstand.recommend.vectors import random_vectors


def test_the_draw_looks_up_ids_without_scanning(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    migrate(engine)
    seen: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        seen.append((sql, params))

    event.listen(engine, "before_cursor_execute", remember)
    with Session(engine) as session:
        random_vectors(session, 200, seed=1, exclude=())
    event.remove(engine, "before_cursor_execute", remember)
    plans = []
    with engine.connect() as conn:
        for sql, params in seen:
            if "paper_embeddings" in sql:
                plans += [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
    engine.dispose()
    assert plans, seen
    assert not [p for p in plans if p.startswith("SCAN") and "paper_embeddings" in p], plans
