"""Helpers for the per-parser tests: read fixtures, split parse results, import bytes into a database."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, select

from paperstand.ingest.record import Notice, PaperRecord, ParseItem, Rejection
from paperstand.ingest.run import ImportSummary, import_file
from paperstand.papers.models import Paper

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ingest"


def parse_bytes(module: ModuleType, data: bytes, name: str = "sample") -> list[ParseItem]:
    """Everything a parser yields for ``data``."""
    return list(module.parse(BytesIO(data), name))


def parse_path(module: ModuleType, path: Path) -> list[ParseItem]:
    """Everything a parser yields for a file."""
    with path.open("rb") as fh:
        return list(module.parse(fh, str(path)))


def records(items: list[ParseItem]) -> list[PaperRecord]:
    """The records among parse results."""
    return [i for i in items if isinstance(i, PaperRecord)]


def rejections(items: list[ParseItem]) -> list[Rejection]:
    """The rejections among parse results."""
    return [i for i in items if isinstance(i, Rejection)]


def notices(items: list[ParseItem]) -> list[Notice]:
    """The notices among parse results."""
    return [i for i in items if isinstance(i, Notice)]


def import_bytes(engine: Engine, tmp_path: Path, name: str, data: bytes) -> ImportSummary:
    """Write ``data`` to ``tmp_path/name`` and import it with format detection."""
    path = tmp_path / name
    path.write_bytes(data)
    return import_file(engine, path)


def stored(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every stored paper with an arXiv id, as a row mapping keyed by that id."""
    with engine.connect() as conn:
        rows = conn.execute(select(Paper.__table__)).mappings()
        return {row["arxiv_id"]: dict(row) for row in rows if row["arxiv_id"]}
