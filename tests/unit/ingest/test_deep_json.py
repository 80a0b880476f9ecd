"""Reproduction 9: JSON of any nesting depth is a per-file rejection, never a RecursionError."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ingest_fixtures import import_bytes, parse_bytes, records, rejections, stored
from sqlalchemy import Engine

from paperstand.ingest import arxiv_jsonl, hf_daily
from paperstand.ingest.formats import detect

DEEP = b"[" * 2000 + b"]" * 2000


def test_deeply_nested_document_is_one_rejection() -> None:
    """'[' * 2000 + ']' * 2000 is valid JSON that json cannot read: one rejection for the document."""
    items = parse_bytes(hf_daily, DEEP)
    assert [(r.location, r.reason) for r in rejections(items)] == [
        ("document", "invalid JSON (nested too deeply to read)")]


def test_detection_of_a_deep_object_on_its_first_line() -> None:
    """A first line nested thousands deep is detected (as a JSON document) instead of crashing."""
    assert detect(b'{"a":' + b"[" * 5000) == "hf-daily"


@pytest.mark.parametrize("field", ["organization", "ai_keywords", "authors"])
def test_deep_values_inside_a_record_are_dropped(field: str) -> None:
    """Nesting inside a field that holds plain values never reaches storage (deeper documents are refused whole)."""
    deep = "[" * 60 + "]" * 60
    value = {"organization": f'{{"name": "lab", "x": {deep}}}', "ai_keywords": f'["kw", {deep}]',
             "authors": f'[{{"name": "A"}}, {deep}]'}[field]
    doc = f'[{{"paper": {{"id": "2401.00001", "title": "T", "{field}": {value}}}}}]'.encode()
    (record,) = records(parse_bytes(hf_daily, doc))
    assert record.organization == ({"name": "lab"} if field == "organization" else None)
    assert record.ai_keywords == (["kw"] if field == "ai_keywords" else None)
    assert record.authors == (["A"] if field == "authors" else [])


def test_a_field_of_the_wrong_type_spoils_its_record_only() -> None:
    """'"authors": 5' is a rejection of that record; the next record still parses."""
    doc = b'[{"id": "2401.00001", "title": "T", "authors": 5}, {"id": "2401.00002", "title": "U"}]'
    items = parse_bytes(hf_daily, doc)
    assert [r.location for r in rejections(items)] == ["record 1"]
    assert [r.arxiv_id for r in records(items)] == ["2401.00002"]


def test_deep_json_lines_are_rejected_per_line() -> None:
    """A JSON-lines record nested too deeply is a rejection of its line; the valid line still parses."""
    good = b'{"id": "2401.00002", "title": "T", "summary": "s"}\n'
    items = parse_bytes(arxiv_jsonl, good + b'{"id": "2401.00003", "x": ' + b"[" * 2000 + b"]" * 2000 + b"}\n")
    assert [r.location for r in rejections(items)] == ["line 2"]
    assert len(records(items)) == 1


def test_import_of_deep_json_stores_nothing_and_says_why(engine: Engine, tmp_path: Path) -> None:
    """On both databases: one rejection naming the file, nothing stored."""
    summary = import_bytes(engine, tmp_path, "deep.json", DEEP)
    assert summary.rejected == 1 and summary.new == 0
    assert summary.rejections[0].endswith("deep.json: document: invalid JSON (nested too deeply to read)")
    assert stored(engine) == {}


def test_paperstand_import_of_deep_json_exits_1_without_a_traceback(db_url: str, tmp_path: Path) -> None:
    """The command itself: exit 1, the file named, no traceback."""
    path = tmp_path / "deep.json"
    path.write_bytes(DEEP)
    env = {**os.environ, "PAPERSTAND_DATABASE_URL": db_url, "PAPERSTAND_DATA_DIR": str(tmp_path / "var")}
    proc = subprocess.run([sys.executable, "-m", "paperstand", "import", str(path)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr
    assert f"rejected: {path}: document: invalid JSON (nested too deeply to read)" in " ".join(proc.stderr.split())
