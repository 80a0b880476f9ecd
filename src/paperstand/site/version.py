"""The data version: one number that moves forward with every commit that changes a public page.

Migration 0011 keeps it with triggers on the tables pages show (papers, featured days, signals,
embeddings), so writes from any process count. Readers compare it to decide whether what they
rendered before still holds; the page cache (``paperstand.web.cache``) keys its entries by it.

Why a counter row kept by triggers, and not the alternatives:

- SQLite's ``PRAGMA data_version`` is cheaper still, but its value is private to one connection
  (it cannot be shared by processes, nor put in an ``ETag`` that another process must honour),
  it moves on every commit (subscriptions and the outbox too) and PostgreSQL has no equivalent.
- A Redis ``INCR`` needs every writer (a cron ``import`` too) to know about Redis and to bump after
  its commit: a write that forgets to, or a crash between the two, leaves stale pages for good.
- A row updated inside the writing transaction is visible exactly when the data is, on both databases.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperstand.site.models import DataVersion

QUERY = "SELECT version FROM data_version WHERE id = 1"


def data_version(session: Session) -> int:
    """The current data version (0 before migration 0011 seeded the row)."""
    return session.execute(select(DataVersion.version).where(DataVersion.id == 1)).scalar() or 0


class VersionReader:
    """Reads the data version on one dedicated connection, a few microseconds a read.

    The page cache asks on every request, so it skips the pool and the ORM: one driver connection
    in autocommit mode (each read sees the newest commit of any process), reopened after an error.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._conn: Any = None

    def read(self) -> int:
        """The current data version; raises the driver's error when the database cannot answer."""
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = self._connect()
                cur = self._conn.cursor()
                try:
                    cur.execute(QUERY)
                    row = cur.fetchone()
                finally:
                    cur.close()
            except Exception:
                self._drop()
                raise
        return int(row[0]) if row else 0

    def _connect(self) -> Any:
        # A detached pool connection keeps the engine's connect-time setup (SQLite's WAL and busy
        # timeout) but never returns to the pool, so it cannot be handed to a request mid-read.
        conn = self.engine.raw_connection()
        conn.detach()
        driver: Any = conn.dbapi_connection
        if self.engine.dialect.name == "sqlite":
            driver.isolation_level = None  # autocommit: no read transaction outlives a read
        else:
            driver.autocommit = True
        return conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken; the next read reconnects
                conn.close()

    def close(self) -> None:
        """Close the dedicated connection."""
        with self._lock:
            self._drop()
