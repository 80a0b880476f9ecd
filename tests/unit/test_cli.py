"""The command line: help, import exit codes and messages, featured days, progress that counts records."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from paperstand.cli import app
from paperstand.papers.models import DailyPick, Paper

runner = CliRunner()

LISTING = """new

Get trending papers in your email inbox!

Mar 11

Sparse Lanterns for Deep Caves

We study how sparse light sources guide exploration of deep caves by autonomous robots, and show that a \
handful of well-placed lanterns halves exploration time in simulation and in two real cave systems.

Counting Sheep with Transformers

A transformer counts sheep in aerial photographs of hillside pastures with an error below two percent, \
beating detection-based counters while needing only image-level labels for training.
"""


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at the test database."""
    monkeypatch.setenv("PAPERSTAND_DATABASE_URL", db_url)
    return db_url


def _counts(db_url: str) -> tuple[int, int]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        papers = conn.execute(select(func.count()).select_from(Paper)).scalar_one()
        picks = conn.execute(select(func.count()).select_from(DailyPick)).scalar_one()
    engine.dispose()
    return papers, picks


def test_help_teaches_the_commands() -> None:
    """`--help` lists every command with a one-line description."""
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "import", "migrate"):
        assert command in result.output


def test_import_featured_and_idempotent(env: str, tmp_path: Path) -> None:
    """Import with --featured-on creates the day's picks; a second import changes nothing."""
    path = tmp_path / "listing.txt"
    path.write_text(LISTING, encoding="utf-8")
    first = runner.invoke(app, ["import", str(path), "--featured-on", "2025-03-11"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["import", str(path), "--featured-on", "2025-03-11"])
    assert second.exit_code == 0
    assert "2" in second.output  # the summary's unchanged column
    assert _counts(env) == (2, 2)


def test_rejected_input_exits_non_zero_and_keeps_valid_records(env: str, tmp_path: Path) -> None:
    """A bad record is named with file and line, the good one lands, the exit code is 1."""
    path = tmp_path / "bad.txt"
    path.write_bytes(LISTING.encode().replace(b"Counting Sheep", b"Counting \xff\xfe Sheep"))
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 1
    assert "bad.txt: record 2 (line 11): not valid UTF-8 (byte 10 of line 11)" in result.output
    assert _counts(env) == (1, 0)


def test_bad_featured_on_date_is_a_usage_error(env: str, tmp_path: Path) -> None:
    """A malformed --featured-on is refused before anything is written."""
    path = tmp_path / "listing.txt"
    path.write_text(LISTING, encoding="utf-8")
    result = runner.invoke(app, ["import", str(path), "--featured-on", "11/03/2025"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_missing_file_is_reported(env: str, tmp_path: Path) -> None:
    """A file that does not exist is a rejection with the OS reason."""
    result = runner.invoke(app, ["import", str(tmp_path / "nope.json")])
    assert result.exit_code == 1
    assert "nope.json: cannot open" in result.output


def _snapshot(n: int) -> bytes:
    lines = [json.dumps({"id": f"2502.{i:05d}", "title": f"Counting record {i}", "abstract": "We count things.",
                         "categories": "cs.LG", "authors": "A. Counter"}) for i in range(1, n + 1)]
    return ("\n".join(lines) + "\n").encode()


def test_import_progress_counts_records_with_a_rate(env: str, tmp_path: Path) -> None:
    """The bar of a compressed import shows the records read and records/s, not bytes; then indexing."""
    path = tmp_path / "snapshot.json.gz"
    path.write_bytes(gzip.compress(_snapshot(600)))
    result = runner.invoke(app, ["import", str(path)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("snapshot.json.gz"))
    assert re.search(r"600 records +[\d,]+ records/s +in ", line), line
    assert "bytes" not in result.output
    assert re.search(r"indexing for search .* 600 papers +[\d,]+ papers/s", result.output)
    assert _counts(env) == (600, 0)


def test_binary_file_is_not_a_text_file(env: str, tmp_path: Path) -> None:
    """A binary file is refused by name with exit code 1; the text file beside it still lands."""
    binary, listing = tmp_path / "photo.jpg", tmp_path / "listing.txt"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8)
    listing.write_text(LISTING, encoding="utf-8")
    result = runner.invoke(app, ["import", str(binary), str(listing)])
    assert result.exit_code == 1
    assert f"{binary}: not a text file (it contains NUL bytes)" in " ".join(result.output.split())
    assert _counts(env) == (2, 0)


def test_search_index_progress_counts_papers(env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`search-index` shows papers indexed out of the total, with a rate."""
    monkeypatch.setenv("PAPERSTAND_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "snapshot.jsonl"
    path.write_bytes(_snapshot(40))
    assert runner.invoke(app, ["import", str(path)]).exit_code == 0
    result = runner.invoke(app, ["search-index"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert re.search(r"indexing for search .* 40 papers +[\d,]+ papers/s +in ", result.output), result.output
    assert "search index: 40 papers" in result.output
