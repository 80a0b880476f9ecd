"""The data versions: counters that move forward with every commit that changes a public page.

Triggers on the tables pages show keep them (migrations 0011 and 0019), so writes from any process
count. There are five, one per family of pages (``SCOPES``), so that a write stales only the pages it
can change: a harvest of new papers leaves the featured lists cached, and a vote stales no page at all
(its numbers are filled in at serve time). The page cache (``paperstand.web.cache``) keys its entries by
the counters a page depends on.

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

QUERY = "SELECT id, version FROM data_version"

# The counters (rows of ``data_version``), as migration 0019 describes them.
ALL, FEATURED, TRENDING, VOTES, ARXIV = 1, 2, 3, 4, 5
SCOPES = (ALL, FEATURED, TRENDING, VOTES, ARXIV)
Versions = tuple[int, ...]  # the counters in ``SCOPES`` order; 0 for one a database does not have yet


def data_version(session: Session) -> int:
    """The ``all`` counter: moved by every write to a public table but votes and scores (0 before 0011)."""
    return session.execute(select(DataVersion.version).where(DataVersion.id == ALL)).scalar() or 0


def as_versions(rows: list[tuple[int, int]]) -> Versions:
    """``(id, version)`` rows as a ``Versions`` tuple."""
    found = dict(rows)
    return tuple(int(found.get(scope, 0)) for scope in SCOPES)


READ_TIMEOUT_MS = 1000


class VersionReader:
    """Reads the data version on one dedicated connection, a few microseconds a read.

    The page cache asks on every request, so it skips the pool and the ORM: one driver connection
    in autocommit mode (each read sees the newest commit of any process), reopened after an error.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._conn: Any = None

    def read(self) -> Versions:
        """The current counters, in one query; raises the driver's error when the database cannot answer."""
        return as_versions([(int(i), int(v)) for i, v in self._query(QUERY, [])])

    def _query(self, sql: str, params: list[Any]) -> list[Any]:
        """Rows of one statement on the dedicated connection, reopened after an error."""
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = self._connect()
                cur = self._conn.cursor()
                try:
                    cur.execute(sql, params)
                    return list(cur.fetchall())
                finally:
                    cur.close()
            except Exception:
                self._drop()
                raise

    def _connect(self) -> Any:
        # A detached pool connection keeps the engine's connect-time setup (SQLite's WAL and busy
        # timeout) but never returns to the pool, so it cannot be handed to a request mid-read. The app
        # gives an unpooled engine (``db.loop_engine``): a reader on the event loop must not wait for a pool.
        conn = self.engine.raw_connection()
        conn.detach()
        driver: Any = conn.dbapi_connection
        if self.engine.dialect.name == "sqlite":
            driver.isolation_level = None  # autocommit: no read transaction outlives a read
        else:
            driver.autocommit = True
            # Asked on the event loop (``paperstand.web.turn``): a server in trouble costs a page its
            # cache, never the loop more than this.
            driver.execute(f"SET statement_timeout = {READ_TIMEOUT_MS}")
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
