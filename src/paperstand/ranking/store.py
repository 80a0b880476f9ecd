"""Writing stored trending scores: one upsert for one paper or a million, never overwriting a newer row.

The upsert keeps a row computed later than the one being written: the bulk job reads, computes, then
writes for seconds, and a vote refreshed meanwhile (``refresh_paper``) must not be overwritten by the
job's older count. On PostgreSQL the conflict check waits for that refresh's transaction and re-reads
the row, so the condition sees its ``computed_at``.

A million rows through SQLAlchemy's per-value type processing would cost more than computing them, so
the bulk write goes to the driver: on SQLite one ``executemany`` (the sqlite3 module loops in C); on
PostgreSQL, where each row of an ``executemany`` is a statement for the server, one binary ``COPY``
into a temporary table, built by numpy, then one ``INSERT ... SELECT`` with the same upsert.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, delete

from paperstand.dialect import on_sqlite, placeholder
from paperstand.ranking.bulk import Scores
from paperstand.ranking.models import TrendingScore
from paperstand.ranking.trending import Trending

COLUMNS = ("paper_id", "score", "votes", "votes_part", "stars", "stars_part", "comments", "comments_part",
           "age_hours", "age_part", "computed_at", "votes_since")
# Rows per transaction of the bulk write: a SQLite writer holds the database for one of these (a fraction
# of a second, well under the 5 s a waiting vote tolerates), and pages never wait for the whole table.
ROWS_PER_COMMIT = 50_000
_UPDATE = (", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
           + " WHERE trending_scores.computed_at <= excluded.computed_at")

Row = tuple[object, ...]


def _upsert_sql(mark: str) -> str:
    return (f"INSERT INTO trending_scores ({', '.join(COLUMNS)}) VALUES ({', '.join([mark] * len(COLUMNS))}) "
            f"ON CONFLICT (paper_id) DO UPDATE SET {_UPDATE}")


def write(conn: Connection, rows: list[Row]) -> None:
    """Upsert ``rows`` (values in :data:`COLUMNS` order, times from :func:`db_time`) in the caller's transaction."""
    conn.exec_driver_sql(_upsert_sql(placeholder(conn)), rows)


def db_time(conn: Connection, moment: datetime | None) -> object:
    """A time as the driver-level statement takes it: SQLite's stored text, else a naive UTC datetime."""
    if moment is None:
        return None
    naive = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if on_sqlite(conn) else naive


def one_row(conn: Connection, paper_id: int, t: Trending, computed_at: datetime) -> Row:
    """The stored row of one paper's score."""
    return (paper_id, t.score, t.votes, t.votes_part, t.stars, t.stars_part, t.comments, t.comments_part,
            t.age_hours, t.age_part, db_time(conn, computed_at), db_time(conn, t.votes_since))


def _sqlite_rows(scores: Scores, computed_at: str) -> list[Row]:
    stamps = scores.votes_since.astype("datetime64[s]").astype("datetime64[us]")
    # "2026-11-28T10:00:00.000000" → SQLite's stored layout, for the whole column at once.
    since = np.strings.replace(np.datetime_as_string(stamps, unit="us"), "T", " ").tolist()
    since = [None if s < 0 else t for s, t in zip(scores.votes_since.tolist(), since, strict=True)]
    cols = [getattr(scores, c).tolist() for c in COLUMNS[:10]]
    return list(zip(*cols, [computed_at] * len(since), since, strict=True))


# PostgreSQL's binary COPY: a fixed header, then per row a field count and each field's length and bytes
# (big-endian), then -1. Every field here is 8 bytes and never NULL (no vote: ``since_s`` < 0), so numpy
# lays the whole buffer out as one structured array.
_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_PG_FIELDS = [(c, ">i8" if c in ("paper_id", "stars", "comments") else ">f8") for c in COLUMNS[:10]]
_PG_ROW = np.dtype([("n", ">i2")] + [f for c, t in [*_PG_FIELDS, ("since_s", ">i8")]
                                     for f in ((f"{c}_len", ">i4"), (c, t))])


def _pg_copy(conn: Connection, scores: Scores, computed_at: datetime) -> None:
    table = np.zeros(len(scores), _PG_ROW)
    table["n"] = len(_PG_FIELDS) + 1
    for name, _ in [*_PG_FIELDS, ("since_s", "")]:
        table[f"{name}_len"] = 8
        table[name] = scores.votes_since if name == "since_s" else getattr(scores, name)
    cur: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cur.execute("CREATE TEMPORARY TABLE IF NOT EXISTS trending_load (" + ", ".join(
        f"{c} {'bigint' if t == '>i8' else 'float8'}" for c, t in _PG_FIELDS) + ", since_s bigint) "
        "ON COMMIT DELETE ROWS")
    names = ", ".join(c for c, _ in _PG_FIELDS)
    with cur.copy(f"COPY trending_load ({names}, since_s) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_PG_HEADER + table.tobytes() + b"\xff\xff")
    cur.execute(f"INSERT INTO trending_scores ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS[:10])}, %s, "
                "CASE WHEN since_s < 0 THEN NULL ELSE timestamp '1970-01-01' + since_s * interval '1 second' END "
                f"FROM trending_load ON CONFLICT (paper_id) DO UPDATE SET {_UPDATE}", (db_time(conn, computed_at),))


def write_scores(conn: Connection, scores: Scores, computed_at: datetime) -> None:
    """Upsert the rows of ``scores`` (part of a bulk run) in the caller's transaction."""
    if on_sqlite(conn):
        conn.exec_driver_sql(_upsert_sql("?"), _sqlite_rows(scores, str(db_time(conn, computed_at))))
    else:
        _pg_copy(conn, scores, computed_at)


def remove(conn: Connection, paper_ids: list[int], *, before: datetime) -> int:
    """Delete these papers' rows unless computed at or after ``before`` (by a refresh): they stopped trending."""
    if not paper_ids:
        return 0
    stmt = delete(TrendingScore).where(TrendingScore.paper_id == bindparam("pid"), TrendingScore.computed_at < before)
    return int(conn.execute(stmt, [{"pid": pid} for pid in paper_ids]).rowcount)


def remove_many(conn: Connection, *, paper_ids: list[int], now: datetime) -> None:
    """Delete these papers' rows unless computed after ``now`` (by a later refresh), in one statement."""
    if paper_ids:
        conn.execute(_REMOVE_MANY, {"paper_ids": sorted(paper_ids), "now": now})


# Built once: it runs after every vote (or batch of votes) that leaves papers without counted activity.
_REMOVE_MANY = delete(TrendingScore).where(TrendingScore.paper_id.in_(bindparam("paper_ids", expanding=True)),
                                           TrendingScore.computed_at <= bindparam("now"))
