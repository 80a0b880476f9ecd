"""Reading whole columns fast: whole seconds of a stored time, and a query's columns as numpy arrays.

The bulk recompute reads millions of rows. Fetched row by row, the drivers build a Python tuple and an
object per value, which costs more than all the arithmetic that follows (5,000,000 votes take about
7 s to fetch that way on the development machine). So the rows never become Python objects: SQLite
is asked for each column as one comma-separated text (``group_concat``, built in C, parsed by numpy
in C); PostgreSQL sends the rows as a binary ``COPY``, whose fixed-width fields numpy reads in place.
Aggregates skip NULLs, which would shift one column against the others, and a NULL breaks the fixed
width of the binary rows, so callers read only columns that cannot be NULL (``COALESCE`` or ``CASE``
where they could).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, ColumnElement, Connection, Float, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from paperstand.dialect import on_sqlite

Int64s = np.ndarray[Any, np.dtype[np.int64]]


class epoch_seconds(FunctionElement[int]):  # noqa: N801 (an SQL function, named like one)
    """Whole seconds since 1970 of a stored UTC time, floored as :func:`paperstand.ranking.trending.seconds`."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps times as text; '%s' drops the fraction (the times are after 1970, so it floors).
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # The columns are ``timestamp without time zone`` holding UTC: extract() reads them as UTC.
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@dataclass(frozen=True)
class Seconds:
    """A stored UTC time (or a ``COALESCE`` of them) to be read as whole seconds since 1970, floored."""

    column: Any


@dataclass(frozen=True)
class Real:
    """A floating-point column, read as float64 (both databases print floats so that they read back exact)."""

    column: Any


Column = ColumnElement[Any] | QueryableAttribute[Any] | Seconds | Real
Array = np.ndarray[Any, np.dtype[Any]]
# SQLite's text of a stored time, as SQLAlchemy writes it: "2026-11-28 10:00:00.000000".
_SQLITE_TIME = len("2026-11-28 10:00:00.000000")


def _sqlite_seconds(text: str) -> Int64s | None:
    """SQLite's comma-joined stored times as whole seconds, or ``None`` if one is not in the usual layout.

    The layout is fixed-width, so numpy parses the bytes as they are, several times faster than SQLite's
    ``strftime`` converts them.
    """
    raw = (text + ",").encode("ascii", errors="replace")
    width = _SQLITE_TIME + 1
    if len(raw) % width or not (np.frombuffer(raw, np.uint8)[_SQLITE_TIME::width] == ord(",")).all():
        return None
    seconds = np.frombuffer(raw, f"S{width}").astype("S19")  # "2026-11-28 10:00:00": the fraction floors
    try:
        return seconds.astype("datetime64[s]").astype(np.int64)
    except ValueError:
        return None


def _aggregate(column: Column, as_text: bool) -> ColumnElement[Any]:
    expr: Any = column
    if isinstance(column, Seconds):
        expr = column.column if as_text else epoch_seconds(column.column)
    elif isinstance(column, Real):
        expr = column.column
    # group_concat prints numbers itself (a CAST would cost SQLite a fifth more).
    return func.aggregate_strings(expr, ",")


def _parse(text: str | None, column: Column, as_text: bool) -> Array | None:
    dtype = np.float64 if isinstance(column, Real) else np.int64
    if not text:
        return np.zeros(0, dtype)
    if isinstance(column, Seconds) and as_text:
        return _sqlite_seconds(text)
    return np.fromstring(text, dtype=dtype, sep=",")


def _sqlite_columns(conn: Connection, columns: Sequence[Column], conditions: Sequence[ColumnElement[bool]],
                    ) -> list[Array]:
    as_text = True
    while True:
        # One statement, one pass: every column comes from the same rows in the same order.
        row = conn.execute(select(*[_aggregate(c, as_text) for c in columns]).where(*conditions)).one()
        parsed = [_parse(text, column, as_text) for text, column in zip(row, columns, strict=True)]
        if all(p is not None for p in parsed) or not as_text:
            return [p for p in parsed if p is not None]
        as_text = False


# PostgreSQL's binary COPY: a 19-byte header, per row a field count and each field's length and
# big-endian bytes, then a 2-byte trailer. Every column here is 8 bytes wide and never NULL.
_PG_HEADER = 19


def _postgres_columns(conn: Connection, columns: Sequence[Column], conditions: Sequence[ColumnElement[bool]],
                      ) -> list[Array]:
    exprs = [cast(epoch_seconds(c.column), BigInteger) if isinstance(c, Seconds)
             else cast(c.column, Float(53)) if isinstance(c, Real) else cast(c, BigInteger) for c in columns]
    compiled = select(*exprs).where(*conditions).compile(dialect=conn.dialect)
    cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT BINARY)", compiled.params) as copy:
        data = b"".join(bytes(block) for block in copy)
    kinds = [">f8" if isinstance(c, Real) else ">i8" for c in columns]
    row = np.dtype([("n", ">i2")] + [f for i, kind in enumerate(kinds) for f in ((f"l{i}", ">i4"), (f"v{i}", kind))])
    body = data[_PG_HEADER:-2]
    if len(body) % row.itemsize:
        raise ValueError("trending: a NULL in a column read in bulk (every such column must be non-NULL)")
    rows = np.frombuffer(body, row)
    if (rows["n"] != len(kinds)).any() or any((rows[f"l{i}"] != 8).any() for i in range(len(kinds))):
        raise ValueError("trending: a NULL in a column read in bulk (every such column must be non-NULL)")
    return [rows[f"v{i}"].astype(np.float64 if kind == ">f8" else np.int64) for i, kind in enumerate(kinds)]


def read_columns(conn: Connection, columns: Sequence[Column], *conditions: ColumnElement[bool]) -> list[Array]:
    """The rows matching ``conditions``, one array per column (int64, float64 for :class:`Real`), in one order.

    SQLite: each column as one comma-joined text (see the module's docstring); a :class:`Seconds` column is
    read as its stored text and parsed here, and should a value not be in SQLAlchemy's layout (a row written
    by hand), the statement is read again converted by SQLite. PostgreSQL: the rows as a binary ``COPY``,
    which numpy reads as it comes (no text at all), a few times faster than ``string_agg``.
    Parameters must be plain values the driver adapts (times naive UTC, as stored).
    """
    return (_sqlite_columns if on_sqlite(conn) else _postgres_columns)(conn, columns, conditions)
