"""The real daily JSON-lines files carry no date: every paper gets the month its id names."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from paperstand.ingest import arxiv_jsonl
from paperstand.ingest.record import PaperRecord


def test_every_real_line_is_dated_by_its_id(real: Path) -> None:
    path = real / "arxiv-metadata" / "daily-arxiv-ai-enhanced" / "papers_2026-05.jsonl"
    if not path.is_file():
        pytest.skip("the real JSON-lines files are absent")
    with path.open("rb") as stream:
        records = [r for r in arxiv_jsonl.parse(stream, path.name) if isinstance(r, PaperRecord)]
    assert len(records) == 7385
    assert {r.published_precision for r in records} == {"month"}
    months = Counter(f"{r.published_at:%Y-%m}" for r in records if r.published_at)
    assert sum(months.values()) == 7385
    # The file holds the day's announcements: mostly new May ids, some April ones announced in May.
    assert months["2026-05"] == 7124 and months["2026-04"] == 256
