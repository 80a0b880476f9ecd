"""`paperstand search-index` builds the tantivy index that keyword search then uses, and imports keep it current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperstand.cli import app
from paperstand.db import make_engine
from paperstand.search.keyword import keyword_search
from paperstand.search.query import parse_query
from paperstand.search.sync import fast_index_ready, keyword_index_dir

runner = CliRunner()


def _snapshot(path: Path, ids_titles: list[tuple[str, str]]) -> Path:
    path.write_text("".join(json.dumps({"id": i, "title": t, "abstract": "An abstract.", "authors": "A. Person",
                                        "categories": "cs.LG"}) + "\n" for i, t in ids_titles))
    return path


def test_search_index_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command reports the papers indexed; the next import lands in the index without a rebuild."""
    db_url = f"sqlite:///{tmp_path / 'p.db'}"
    monkeypatch.setenv("PAPERSTAND_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PAPERSTAND_DATABASE_URL", db_url)
    first = _snapshot(tmp_path / "a.jsonl", [("2401.00001", "Counting Sheep"), ("2401.00002", "Sorting Goats")])
    assert runner.invoke(app, ["import", str(first), "--format", "arxiv-jsonl"]).exit_code == 0
    result = runner.invoke(app, ["search-index"])
    assert result.exit_code == 0, result.output
    assert "search index: 2 papers" in result.output
    engine = make_engine(db_url)
    assert fast_index_ready(engine, keyword_index_dir(tmp_path / "var"))
    second = _snapshot(tmp_path / "b.jsonl", [("2401.00003", "Herding Sheep")])
    assert runner.invoke(app, ["import", str(second), "--format", "arxiv-jsonl"]).exit_code == 0
    hits = keyword_search(engine, parse_query("sheep"), engine="tantivy", index_dir=keyword_index_dir(tmp_path / "var"))
    assert len(hits) == 2
    engine.dispose()
