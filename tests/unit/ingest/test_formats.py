"""Format detection from a file's first bytes, for every real sample and every fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ingest_fixtures import FIXTURES

from paperstand.ingest.formats import UnknownFormat, detect

# The head that import_stream peeks at.
HEAD = 8192
FOLDER_FORMAT = {"arxiv-api-atom": "arxiv-atom", "arxiv-oai-pmh": "arxiv-oai", "arxiv-rss": "arxiv-rss",
                 "hf-daily-papers": "hf-daily", "hf-papers": "hf-daily", "arxiv-metadata": "arxiv-jsonl",
                 "daily-arxiv-ai-enhanced": "arxiv-jsonl"}
FIXTURE_PREFIX = {"arxiv_atom": "arxiv-atom", "arxiv_oai": "arxiv-oai", "arxiv_rss": "arxiv-rss",
                  "hf_": "hf-daily", "arxiv_kaggle": "arxiv-jsonl", "arxiv_daily": "arxiv-jsonl"}


def test_every_real_file(real: Path) -> None:
    """Each real sample is detected as the format of its folder."""
    paths = sorted(p for p in real.rglob("*") if p.suffix in (".xml", ".json", ".jsonl"))
    assert len(paths) == 41
    for path in paths:
        with path.open("rb") as fh:
            assert detect(fh.read(HEAD)) == FOLDER_FORMAT[path.parent.name], path


def test_every_fixture() -> None:
    """Each committed fixture is detected as the format its name says."""
    paths = sorted(FIXTURES.glob("*.*"))
    assert len(paths) == 17
    for path in paths:
        expected = next(fmt for prefix, fmt in FIXTURE_PREFIX.items() if path.name.startswith(prefix))
        assert detect(path.read_bytes()[:HEAD]) == expected, path


def test_json_lines_whose_first_line_is_longer_than_the_head() -> None:
    """A snapshot line with thousands of authors still reads as JSON lines, not one JSON document."""
    names = [f"Author Number{i}" for i in range(2000)]
    line = json.dumps({"id": "0705.0001", "submitter": "A", "authors": ", ".join(names), "title": "Big"})
    assert detect(line.encode()[:HEAD]) == "arxiv-jsonl"
    assert detect(b'{"id": "2501.00001", "title": "Cut\n{"id": "2501.00002", "title": "Fine"}\n') == "arxiv-jsonl"


def test_hugging_face_objects_are_not_json_lines() -> None:
    """A one-line /api/papers/{id} object has id and title too, but is Hugging Face JSON."""
    detail = json.loads((FIXTURES / "hf_paper_detail.json").read_text(encoding="utf-8"))
    compact = json.dumps(detail).encode()
    assert detect(compact) == "hf-daily"
    assert detect(compact[:200]) == "hf-daily"
    assert detect(b'\xef\xbb\xbf\n  {"2401.00123": {"title": "T"}}') == "hf-daily"


def test_listing_and_unknown() -> None:
    """Plain text is a listing; unsupported XML and empty files are refused with a reason."""
    assert detect(b"new\n\nGet trending papers in your email inbox!\n") == "listing"
    with pytest.raises(UnknownFormat, match="<html>"):
        detect(b"<!DOCTYPE html>\n<html><body></body></html>")
    with pytest.raises(UnknownFormat, match="empty"):
        detect(b" \n")
