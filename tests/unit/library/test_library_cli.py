"""``paperstand library``: list, export and import from the shell, with one-line errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import bibtexparser
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import make_member
from typer.testing import CliRunner

from paperstand.cli import app
from paperstand.ingest.record import PaperRecord
from paperstand.library import service
from paperstand.papers.store import store_batch

runner = CliRunner()


def test_list_export_import(engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSTAND_DATABASE_URL", db_url)
    monkeypatch.setenv("PAPERSTAND_DATA_DIR", str(tmp_path / "data"))
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="hf-daily", title="Sparse Lanterns", arxiv_id="2503.00001",
                                       authors=["Ada Lovelace"], featured_on=date(2025, 3, 11), position=1)])
    ada = make_member(engine, "ada")
    with Session(engine) as s:
        service.save_paper(s, member_id=ada.id, public_id="2503.00001", note="key paper", now=datetime.now(UTC))
        service.create_collection(s, member_id=ada.id, name="Copy", now=datetime.now(UTC))
    listed = runner.invoke(app, ["library", "list", "ADA"])
    assert listed.exit_code == 0 and "reading-list" in listed.output and "copy" in listed.output
    out = tmp_path / "ada.bib"
    assert runner.invoke(app, ["library", "export", "ada", "-f", "bib", "-o", str(out)]).exit_code == 0
    assert bibtexparser.parse_string(out.read_text()).entries[0]["annote"] == "key paper"
    done = runner.invoke(app, ["library", "import", "ada", "copy", str(out)])
    assert done.exit_code == 0 and "1 added" in done.output
    missing = runner.invoke(app, ["library", "list", "nobody"])
    assert missing.exit_code == 1 and "no member is called 'nobody'" in missing.output
    assert runner.invoke(app, ["library", "export", "ada", "-f", "doc"]).exit_code == 2
    assert "Members' libraries" in runner.invoke(app, ["library", "--help"]).output
