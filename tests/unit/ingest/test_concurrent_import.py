"""Two imports of the same papers at once end with one row per paper and no error."""

from __future__ import annotations

import threading
from pathlib import Path

from ingest_samples import kaggle_line
from sqlalchemy import Engine, func, select

from paperstand.ingest.run import ImportSummary, import_file
from paperstand.papers.models import Paper


def test_parallel_imports_of_the_same_file(engine: Engine, tmp_path: Path) -> None:
    """A lost race on the unique arXiv id is retried and merges instead of failing the batch."""
    path = tmp_path / "snap.jsonl"
    path.write_text("\n".join(kaggle_line(f"2502.{i:05d}", f"Parallel Paper {i}") for i in range(600)) + "\n")
    results: list[ImportSummary] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(import_file(engine, path))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sum(r.new for r in results) == 600
    assert all(r.rejected == 0 for r in results)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Paper)).scalar_one() == 600
