"""The data version: every commit to what pages show moves it, from any connection, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from paperstand.ingest.run import import_file
from paperstand.site.version import VersionReader, data_version

DAILY = Path(__file__).parents[2] / "fixtures" / "api" / "daily_small.json"


@pytest.fixture
def reader(engine: Engine) -> VersionReader:
    """A reader on its own connection, as the page cache holds one."""
    assert import_file(engine, DAILY).new == 7
    return VersionReader(engine)


def _run(engine: Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), {"now": datetime(2026, 1, 1, tzinfo=UTC), "blob": b"\x00"})


@pytest.mark.parametrize("statement", [
    "UPDATE papers SET title = 'x' WHERE arxiv_id = '2503.00201'",
    "DELETE FROM daily_picks WHERE id = (SELECT min(id) FROM daily_picks)",
    "UPDATE external_signals SET value = value + 1",
    "INSERT INTO paper_embeddings (paper_id, model_id, content_hash, vector, embedded_at) "
    "SELECT min(id), 'm', 'h', :blob, :now FROM papers",
])
def test_each_public_table_moves_the_version(engine: Engine, reader: VersionReader, statement: str) -> None:
    before = reader.read()
    _run(engine, statement)
    assert reader.read() > before
    with Session(engine) as session:
        assert data_version(session) == reader.read()


def test_other_writes_and_rollbacks_leave_it(engine: Engine, reader: VersionReader) -> None:
    before = reader.read()
    _run(engine, "INSERT INTO site_state (key, value, updated_at) VALUES ('k', 'v', :now)")
    with engine.connect() as conn:
        conn.execute(text("UPDATE papers SET title = 'rolled back'"))
        conn.rollback()
    assert reader.read() == before


def test_it_only_grows_and_a_transaction_counts_once_on_postgresql(engine: Engine, reader: VersionReader) -> None:
    before = reader.read()
    _run(engine, "UPDATE papers SET title = title || '.'", "UPDATE external_signals SET value = value + 1")
    after = reader.read()
    assert after > before
    if engine.dialect.name == "postgresql":
        # One deferred bump at commit, however many rows: writers never queue on the counter mid-transaction.
        assert after == before + 1


def test_the_reader_reconnects_after_its_connection_breaks(engine: Engine, reader: VersionReader) -> None:
    before = reader.read()
    reader._conn.close()  # noqa: SLF001 - simulate a dropped connection
    with pytest.raises(Exception):  # noqa: B017 - whichever driver error a closed connection raises
        reader.read()
    assert reader.read() == before
    reader.close()
