"""Reading whole columns fast: whole seconds of a stored time, and a query's columns as numpy arrays.

The bulk recompute reads millions of rows. Fetched row by row, the drivers build a Python tuple and an
object per value, which costs more than all the arithmetic that follows (5,000,000 votes take about
7 s to fetch that way on the development machine). So the rows never become Python objects: SQLite
is asked for each column as one comma-separated text (``group_concat``, built in C, parsed by numpy
in C); PostgreSQL for each column as one array in binary (``array_send(array_agg(...))``), whose
fixed-width elements numpy reads in place. ``group_concat`` skips NULLs, which would shift one column
against the others, and a NULL breaks the fixed width of the binary arrays, so callers read only
columns that cannot be NULL (``COALESCE`` or ``CASE`` where they could).
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
    # The columns are ``timestamp without time zone`` holding UTC, read as UTC. date_part() answers in float8,
    # twice as fast as extract()'s numeric, and exact here: a microsecond fraction never rounds up to the
    # next second at today's magnitudes (float8 resolves 2.4e-7 s around 1.8e9).
    return f"CAST(floor(date_part('epoch', {compiler.process(element.clauses, **kw)})) AS BIGINT)"


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


# PostgreSQL's binary form of a one-dimensional array (``array_send``): five 4-byte header words
# (dimensions, NULL flag, element type, length, lower bound), then each element's length and big-endian
# bytes. Every column here is 8 bytes wide and never NULL.
_PG_ARRAY_HEADER = 20


def _pg_array(data: bytes | None, kind: str) -> Array:
    if data is None:  # no rows: array_agg gives NULL
        return np.zeros(0, np.float64 if kind == ">f8" else np.int64)
    header = np.frombuffer(data[:12], ">i4")
    elements = np.frombuffer(data[_PG_ARRAY_HEADER:], [("len", ">i4"), ("value", kind)])
    if header[1] or (elements["len"] != 8).any():
        raise ValueError("trending: a NULL in a column read in bulk (every such column must be non-NULL)")
    return elements["value"].astype(np.float64 if kind == ">f8" else np.int64)


def _postgres_columns(conn: Connection, columns: Sequence[Column], conditions: Sequence[ColumnElement[bool]],
                      ) -> list[Array]:
    exprs = [cast(epoch_seconds(c.column), BigInteger) if isinstance(c, Seconds)
             else cast(c.column, Float(53)) if isinstance(c, Real) else cast(c, BigInteger) for c in columns]
    # Each column as one array in binary: no text on either side, one value each to transfer.
    row = conn.execute(select(*[func.array_send(func.array_agg(e)) for e in exprs]).where(*conditions)).one()
    return [_pg_array(data, ">f8" if isinstance(c, Real) else ">i8") for data, c in zip(row, columns, strict=True)]


def read_columns(conn: Connection, columns: Sequence[Column], *conditions: ColumnElement[bool]) -> list[Array]:
    """The rows matching ``conditions``, one array per column (int64, float64 for :class:`Real`), in one order.

    SQLite: each column as one comma-joined text (see the module's docstring); a :class:`Seconds` column is
    read as its stored text and parsed here, and should a value not be in SQLAlchemy's layout (a row written
    by hand), the statement is read again converted by SQLite. PostgreSQL: each column as a binary
    array, which numpy reads in place (no text at all).
    Parameters must be plain values the driver adapts (times naive UTC, as stored).
    """
    return (_sqlite_columns if on_sqlite(conn) else _postgres_columns)(conn, columns, conditions)
