"""Tantivy query building: words in most papers are left out beside rarer ones, never alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperstand.search import tantivy_index
from paperstand.search.query import parse_query


def test_common_words_left_out_beside_rarer_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A word in over half the papers does not rank beside rarer words; alone, or all common, it stays."""
    monkeypatch.setattr(tantivy_index, "COMMON_WORD_MIN_PAPERS", 0)
    index = tantivy_index.open_index(tmp_path / "idx", create=True)
    writer = index.writer(tantivy_index.WRITER_HEAP, 1)
    abstracts = ["a graph model", "a language model", "models of models", "nothing here"]
    rows = [{"id": i + 1, "title": "t", "abstract": a, "authors": [], "categories": [], "published_at": None}
            for i, a in enumerate(abstracts)]
    tantivy_index.add_rows(writer, rows, replace=False)
    writer.commit()
    index.reload()
    searcher = index.searcher()
    assert tantivy_index.ranking_terms(parse_query("graph models"), searcher) == ("graph",)
    assert tantivy_index.ranking_terms(parse_query("models"), searcher) == ("models",)
    assert tantivy_index.ranking_terms(parse_query("model models"), searcher) == ("model", "models")
    assert tantivy_index.ranking_terms(parse_query("graph models"), None) == ("graph", "models")
    monkeypatch.setattr(tantivy_index, "COMMON_WORD_MIN_PAPERS", 10)
    assert tantivy_index.ranking_terms(parse_query("graph models"), searcher) == ("graph", "models")


def test_shard_count_follows_collection_size_and_cores() -> None:
    from paperstand.search.sync import shard_count
    from paperstand.search.tantivy_index import MAX_SHARDS, SHARD_MIN_PAPERS

    assert shard_count(SHARD_MIN_PAPERS - 1, cpus=8) == 1
    assert shard_count(SHARD_MIN_PAPERS, cpus=2) == 2
    assert shard_count(1_000_000, cpus=64) == MAX_SHARDS
    assert shard_count(1_000_000, cpus=1) == 1
