"""The command line: help, import exit codes and messages, featured days."""

from __future__ import annotations

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
