"""The few statements SQLite and PostgreSQL spell differently, each behind one named helper.

Both databases run the same schema and almost all the same SQL; the differences that remain are
where the two disagree on syntax or on what exists:

- ``INSERT ... ON CONFLICT``: both support it, but SQLAlchemy builds it only from a dialect's own
  ``insert`` (``sqlalchemy.dialects.sqlite.insert`` / ``postgresql.insert``), so the choice is made here.
- ``FOR UPDATE SKIP LOCKED``: PostgreSQL's row locks let concurrent workers take different rows
  without waiting; SQLite has no row locks (one writer at a time), so there is nothing to skip.
- Driver-level SQL (``exec_driver_sql``) for bulk writes: the drivers use different placeholders,
  and SQLite stores times as text and booleans as integers.

Callers pass whatever they hold (a ``Connection``, an ``Engine`` or a ``Session``) and never compare
dialect names themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session

Bind = Connection | Engine | Session
Target = Table | type[DeclarativeBase]
SelectT = TypeVar("SelectT", bound=Select[Any])


def dialect_name(bind: Bind) -> str:
    """``"sqlite"`` or ``"postgresql"``: the database ``bind`` talks to."""
    if isinstance(bind, Session):
        return bind.get_bind().dialect.name
    return bind.dialect.name


def on_sqlite(bind: Bind) -> bool:
    """True when ``bind`` talks to SQLite."""
    return dialect_name(bind) == "sqlite"


def _insert(bind: Bind, table: Target) -> sqlite.Insert | postgresql.Insert:
    return sqlite.insert(table) if on_sqlite(bind) else postgresql.insert(table)


def insert_or_ignore(bind: Bind, table: Target, *, keys: Sequence[str]) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that skips rows whose ``keys`` (a unique index's columns) already exist.

    Execute it with a list of rows; concurrent writers of the same key both succeed, one row wins.
    """
    return _insert(bind, table).on_conflict_do_nothing(index_elements=list(keys))


def upsert(bind: Bind, table: Target, *, keys: Sequence[str],
           update: Sequence[str]) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that, where a row with the same ``keys`` exists, overwrites its ``update`` columns instead.

    The new values come from the row being inserted (``excluded``), so one executemany both inserts
    and refreshes, atomically per row on both databases.
    """
    stmt = _insert(bind, table)
    return stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in update})


def skip_locked(bind: Bind, stmt: SelectT) -> SelectT:
    """``stmt`` locking the rows it reads and passing over rows another transaction has locked.

    On PostgreSQL concurrent claimers then take different rows without waiting for each other. SQLite
    serialises writers, so the statement is returned unchanged (SQLite has no ``FOR UPDATE``).
    """
    return stmt if on_sqlite(bind) else stmt.with_for_update(skip_locked=True)


def placeholder(bind: Connection) -> str:
    """The driver's positional placeholder for ``exec_driver_sql``: ``?`` (sqlite3) or ``%s`` (psycopg)."""
    return "?" if bind.dialect.paramstyle == "qmark" else "%s"

