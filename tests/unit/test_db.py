"""Database setup: SQLite pragmas, migrations that match the models, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

import paperstand.models  # noqa: F401
from paperstand.db import Base, make_engine, migrate
from paperstand.search.sync import is_search_index_object


def test_sqlite_pragmas(tmp_path) -> None:
    """Every SQLite connection uses WAL, a busy timeout and enforced foreign keys."""
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'p.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "sub" / "p.db").exists()


def test_migrations_match_models_and_rerun(engine: Engine) -> None:
    """After upgrading, the schema equals the models; upgrading again is a no-op."""
    migrate(engine)
    with engine.connect() as conn:
        # The keyword index is derived data built by a migration, not a model (see migration 0005).
        ctx = MigrationContext.configure(conn, opts={"include_name": lambda name, *_: not is_search_index_object(name)})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_connections_run_without_jit_and_keep_the_urls_options(db_url: str) -> None:
    """A vote's small queries over stale statistics once paid 15 ms of JIT compilation each."""
    from sqlalchemy import text

    from paperstand.db import _pg_options

    assert _pg_options("postgresql+psycopg://u@h/db") == "-c jit=off"
    assert _pg_options("postgresql+psycopg://u@h/db?options=-c%20statement_timeout%3D5000") == (
        "-c statement_timeout=5000 -c jit=off")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar() == "off"
    engine.dispose()
