"""Writing stored trending scores: one upsert statement for one paper or a million, never overwriting newer rows.

Rows go through driver-level SQL, many rows to a statement (SQLAlchemy's per-value type processing of a
million rows would cost more than computing them). The upsert keeps a row computed later than the one
being written: the bulk job reads, computes, then writes for seconds, and a vote refreshed meanwhile
(``refresh_paper``) must not be overwritten by the job's older count. On PostgreSQL the conflict check
waits for that refresh's transaction and re-reads the row, so the condition sees its ``computed_at``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache

import numpy as np
from sqlalchemy import Connection, delete

from paperstand.dialect import on_sqlite, placeholder
from paperstand.ranking.bulk import Scores
from paperstand.ranking.models import TrendingScore
from paperstand.ranking.trending import Trending

COLUMNS = ("paper_id", "score", "votes", "votes_part", "stars", "stars_part", "comments", "comments_part",
           "age_hours", "age_part", "computed_at", "votes_since")
# Rows per INSERT: 12 values each stays under SQLite's 32,766 and PostgreSQL's 65,535 bound values, and
# is where the per-statement cost stops mattering (measured: bench/trending.py).
ROWS_PER_STATEMENT = 500
# Rows per transaction of the bulk write: a SQLite writer holds the database for one of these (well under
# the 5 s a waiting vote tolerates), and pages never wait for the whole table.
ROWS_PER_COMMIT = 20_000

Row = tuple[object, ...]


@cache
def _upsert_sql(mark: str, rows: int) -> str:
    one = "(" + ", ".join([mark] * len(COLUMNS)) + ")"
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
    return (f"INSERT INTO trending_scores ({', '.join(COLUMNS)}) VALUES {', '.join([one] * rows)} "
            f"ON CONFLICT (paper_id) DO UPDATE SET {updates} "
            "WHERE trending_scores.computed_at <= excluded.computed_at")


def write(conn: Connection, rows: list[Row]) -> None:
    """Upsert ``rows`` (values in :data:`COLUMNS` order, times from :func:`db_time`) in the caller's transaction."""
    mark = placeholder(conn)
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        part = rows[start:start + ROWS_PER_STATEMENT]
        conn.exec_driver_sql(_upsert_sql(mark, len(part)), tuple(v for row in part for v in row))


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


def _times(conn: Connection, whole_seconds: np.ndarray) -> list[object]:
    """Whole seconds (``-1``: none) as driver values, converted by numpy rather than one datetime at a time."""
    stamps = whole_seconds.astype("datetime64[s]").astype("datetime64[us]")
    if on_sqlite(conn):
        values: list[object] = [s.replace("T", " ") for s in np.datetime_as_string(stamps, unit="us").tolist()]
    else:
        values = stamps.tolist()
    return [None if s < 0 else v for s, v in zip(whole_seconds.tolist(), values, strict=True)]


def bulk_rows(conn: Connection, scores: Scores, computed_at: datetime) -> Iterator[list[Row]]:
    """The rows of ``scores``, :data:`ROWS_PER_COMMIT` at a time."""
    at = db_time(conn, computed_at)
    for start in range(0, len(scores), ROWS_PER_COMMIT):
        end = start + ROWS_PER_COMMIT
        cols = [getattr(scores, c)[start:end].tolist() for c in COLUMNS[:10]]
        since = _times(conn, scores.votes_since[start:end])
        yield list(zip(*cols, [at] * len(since), since, strict=True))


def remove_older(conn: Connection, *, before: datetime) -> int:
    """Delete every row computed before ``before``: papers that trended at the last run and no longer do."""
    return int(conn.execute(delete(TrendingScore).where(TrendingScore.computed_at < before)).rowcount)


def remove_one(conn: Connection, *, paper_id: int, now: datetime) -> None:
    """Delete one paper's row unless it was computed after ``now`` (by a later refresh)."""
    conn.execute(delete(TrendingScore).where(TrendingScore.paper_id == paper_id, TrendingScore.computed_at <= now))
