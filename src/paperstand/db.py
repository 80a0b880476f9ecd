"""Database engine, sessions and migrations (statement-level SQLite/PostgreSQL differences: ``dialect.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import DateTime, Engine, TypeDecorator, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool

# How long a SQLite writer waits for a lock before giving up, in milliseconds. Writers hold
# locks only for short batches, so five seconds is far more than any batch takes.
SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_CACHE_KIB = 65536

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    """Declarative base for every table."""


def is_sqlite(url: str) -> bool:
    """True when the URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers work while one writer commits; foreign keys are off by default in SQLite.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    # NORMAL is durable across application crashes in WAL mode and avoids an fsync per commit.
    cur.execute("PRAGMA synchronous=NORMAL")
    # 64 MiB of page cache (negative = KiB): index pages of large imports stay in memory.
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cur.close()


def make_engine(url: str, *, pooled: bool = True) -> Engine:
    """Create an engine; SQLite gets WAL, busy_timeout and foreign keys on every connection.

    JSON columns (categories, authors) are read with orjson: a week's candidates for /for-you decode two
    thousand of them, which the standard library's decoder made a fifth of the page's time.

    ``pooled=False`` makes every connection on the spot and closes it when given back (``loop_engine``).
    """
    pool: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
    if is_sqlite(url):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, json_deserializer=orjson.loads,
                               **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=pooled, connect_args={"options": _pg_options(url)},
                         json_deserializer=orjson.loads, **pool)


def loop_engine(engine: Engine) -> Engine:
    """An engine for the connections the event loop keeps for itself (page versions, live counts, votes).

    They must never come from ``engine``'s pool. Its connections are held by requests on worker threads,
    and a request gives its connection back only when the loop runs the end of its handler. A loop that
    waited for the pool to free one therefore waited for itself: with every pooled connection held (fifty
    submissions at once), it stood still for the pool's 30 s timeout and those requests failed with 500.
    Connections of this engine are made when asked for, so asking never waits for another request.
    """
    return make_engine(engine.url.render_as_string(hide_password=False), pooled=False)


def _pg_options(url: str) -> str:
    """PostgreSQL's startup options: the URL's own, with JIT compilation off.

    The planner's cost of a small query over a table whose statistics are stale (votes just bulk-removed
    and re-cast) can pass ``jit_above_cost``; PostgreSQL then spends 15 ms compiling a query that runs in
    0.1 ms, on a vote. Nothing here runs queries long enough for JIT to pay back.
    """
    own = make_url(url).query.get("options", "")
    own = own if isinstance(own, str) else " ".join(own)
    return f"{own} -c jit=off".strip()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to the engine."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Any:
    """Alembic configuration pointing at the packaged migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (safe to run repeatedly)."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without a zone (SQLite has none) and always returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Aware values are converted to UTC; naive ones are taken as UTC already."""
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Attach UTC to what the database returns."""
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value
