"""Alembic environment: runs on the connection paperstand hands it, or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import paperstand.models  # noqa: F401  (registers every table)
from paperstand.db import Base
from paperstand.search.sync import is_search_index_object

config = context.config
target_metadata = Base.metadata


def run() -> None:
    """Run migrations online; SQLite gets batch mode so ALTERs work."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _run_on(conn)
        return
    _run_on(connection)


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the keyword search index (FTS5 tables, the tsvector GIN index) out of autogenerate."""
    return not is_search_index_object(name)


def _run_on(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
