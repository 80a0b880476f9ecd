"""The dialect helpers: the SQL each database gets, and that it behaves the same on both."""

from __future__ import annotations

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from paperstand.dialect import dialect_name, insert_or_ignore, on_sqlite, placeholder, skip_locked, upsert

PROBE = Table("dialect_probe", MetaData(), Column("k", Integer, primary_key=True), Column("v", String(20)),
              Column("n", Integer))


def _probe(engine: Engine) -> None:
    PROBE.metadata.create_all(engine)


def _rows(engine: Engine) -> list[tuple[int, str, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(PROBE).order_by(PROBE.c.k))]  # type: ignore[misc]


def test_insert_or_ignore_keeps_existing_rows(engine: Engine) -> None:
    """A duplicate key is skipped, not an error, and the first row's values stay."""
    _probe(engine)
    with engine.begin() as conn:
        conn.execute(insert_or_ignore(conn, PROBE, keys=["k"]), [{"k": 1, "v": "a", "n": 1}])
        conn.execute(insert_or_ignore(conn, PROBE, keys=["k"]),
                     [{"k": 1, "v": "b", "n": 2}, {"k": 2, "v": "c", "n": 3}])
    assert _rows(engine) == [(1, "a", 1), (2, "c", 3)]


def test_upsert_overwrites_only_the_named_columns(engine: Engine) -> None:
    """Existing keys get the new values of ``update``; other columns and new keys behave as an insert."""
    _probe(engine)
    with engine.begin() as conn:
        conn.execute(PROBE.insert(), [{"k": 1, "v": "a", "n": 1}])
        conn.execute(upsert(conn, PROBE, keys=["k"], update=["v"]),
                     [{"k": 1, "v": "b", "n": 9}, {"k": 2, "v": "c", "n": 3}])
        conn.execute(upsert(conn, PROBE, keys=["k"], update=["v", "n"]).values([{"k": 2, "v": "d", "n": 4}]))
    assert _rows(engine) == [(1, "b", 1), (2, "d", 4)]


def test_helpers_accept_engine_connection_and_session(engine: Engine) -> None:
    """Whatever the caller holds names the same database."""
    with engine.connect() as conn, Session(engine) as session:
        names = {dialect_name(engine), dialect_name(conn), dialect_name(session)}
        assert len(names) == 1 and on_sqlite(session) == (names == {"sqlite"})
        assert placeholder(conn) == ("?" if on_sqlite(conn) else "%s")


def test_statements_each_database_gets(engine: Engine) -> None:
    """Exact SQL: ON CONFLICT on both; SKIP LOCKED only where row locks exist."""
    with engine.connect() as conn:
        pick = skip_locked(conn, select(PROBE.c.k).limit(5))
        ignore = insert_or_ignore(conn, PROBE, keys=["k"])
        up = upsert(conn, PROBE, keys=["k"], update=["v"])
    dialect = sqlite.dialect() if on_sqlite(engine) else postgresql.dialect()
    sql = " ".join(str(pick.compile(dialect=dialect)).split())
    if on_sqlite(engine):
        assert "FOR UPDATE" not in sql
    else:
        assert sql.endswith("FOR UPDATE SKIP LOCKED")
    assert str(ignore.compile(dialect=dialect)).endswith("ON CONFLICT (k) DO NOTHING")
    assert str(up.compile(dialect=dialect)).endswith("ON CONFLICT (k) DO UPDATE SET v = excluded.v")
