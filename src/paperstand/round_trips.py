"""Fewer round trips to PostgreSQL for a transaction of many small statements (a batch of votes).

A vote batch runs on the event loop, and every statement's round trip to the server stops the loop
until the answer comes: on a busy two-core machine each costs a few tenths of a millisecond of
scheduling, twice, besides the statement itself. Three helpers cut them, each doing nothing on SQLite
(in-process, no round trips) and each keeping what a transaction means:

- ``one_round_trip``: statements whose rows nobody reads (inserts, deletes, upserts, a COMMIT) go out
  together in psycopg's pipeline mode, answered at the block's end. A statement that returns rows
  cannot join: SQLAlchemy asks for a result's columns as soon as it is sent, before it is answered.
- ``reads_without_begin``: reads made before a transaction's first write run in autocommit, without
  the ``BEGIN`` psycopg would otherwise send first. Under READ COMMITTED each statement reads its own
  snapshot anyway, so a read before ``BEGIN`` sees what it would have seen after it.
- ``batch_transaction``: the same for a whole batch, whose transaction is then begun and committed by
  ``BEGIN`` and ``COMMIT`` statements that travel with its first and last writes. psycopg sends its own
  ``BEGIN`` and ``COMMIT`` each with a pipeline sync, a round trip apiece.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from paperstand.dialect import on_sqlite


def _driver(session: Session) -> Any:
    """The psycopg connection under the session's current one."""
    return session.connection().connection.dbapi_connection


@contextmanager
def one_round_trip(session: Session) -> Iterator[None]:
    """Send the block's statements at once on PostgreSQL; none of them may be a read whose rows are used.

    An error of one of them is raised at the block's end as SQLAlchemy raises it elsewhere
    (``IntegrityError``, ``OperationalError``, … with ``connection_invalidated`` set when the connection
    was lost), so callers handle it as if the statement had been sent alone.
    """
    if on_sqlite(session):
        yield
        return
    import psycopg

    driver = _driver(session)
    try:
        with driver.pipeline():
            yield
    except psycopg.Error as exc:  # answered at the pipeline's end, outside SQLAlchemy's wrapping
        bind = session.get_bind()
        lost = bind.dialect.is_disconnect(cast(Any, exc), driver, None)
        if lost:
            session.connection().invalidate(exc)
        raise DBAPIError.instance(None, None, exc, psycopg.Error, connection_invalidated=lost,
                                  dialect=bind.dialect) from exc


@contextmanager
def reads_without_begin(session: Session) -> Iterator[None]:
    """Run the block's reads in autocommit on PostgreSQL, when no transaction has begun yet.

    Only for reads, and the block must not commit (a commit would give a pooled connection back while
    it is still in autocommit). On leaving, the connection is back in transactions; one that cannot be
    (it broke meanwhile) is thrown away rather than returned to the pool in autocommit.
    """
    with _autocommit(session):
        yield


@contextmanager
def _autocommit(session: Session) -> Iterator[bool]:
    """The driver in autocommit for the block, unless a transaction is open (yields whether it is in autocommit)."""
    if on_sqlite(session):
        yield False
        return
    from psycopg.pq import TransactionStatus

    conn = session.connection()
    driver: Any = conn.connection.dbapi_connection
    if driver.autocommit:
        yield True  # someone else's autocommit: theirs to end
        return
    if driver.info.transaction_status != TransactionStatus.IDLE:
        yield False  # a transaction is open: the block's statements stay in it
        return
    driver.autocommit = True
    try:
        yield True
    finally:
        if driver.info.transaction_status != TransactionStatus.IDLE:
            with contextlib.suppress(Exception):  # an error left the batch's transaction open: end it
                driver.rollback()
        if driver.info.transaction_status == TransactionStatus.IDLE:
            driver.autocommit = False
        else:
            conn.invalidate()  # broken: never back to the pool in autocommit


class Batch:
    """A batch's transaction: ``begin()`` with its first writes, ``commit()`` with its last ones.

    Each goes inside the ``one_round_trip`` block of those writes. On SQLite (or a connection already in
    a transaction) ``begin()`` does nothing and the transaction is SQLAlchemy's, as usual.
    """

    def __init__(self, session: Session, explicit: bool) -> None:
        self.session = session
        self.explicit = explicit
        self.begun = False

    def begin(self) -> None:
        """Open the transaction, if it is not open yet (the first write of the batch follows)."""
        if self.explicit and not self.begun:
            self.session.connection().exec_driver_sql("BEGIN")
            self.begun = True

    def commit(self) -> None:
        """Commit what the batch wrote (SQLite: now; PostgreSQL: with the round trip it is sent in)."""
        if on_sqlite(self.session):
            self.session.commit()
        elif not self.explicit or self.begun:
            self.session.connection().exec_driver_sql("COMMIT")
            self.begun = False


@contextmanager
def batch_transaction(session: Session) -> Iterator[Batch]:
    """A transaction for a batch of writes whose ``BEGIN`` and ``COMMIT`` cost no round trip of their own.

    On PostgreSQL the driver is in autocommit for the block, so reads before the first write take no
    ``BEGIN`` either. The block must end with ``Batch.commit()``; SQLAlchemy's own commit follows it
    here, once the connection is back in transactions (it has nothing left to send). An error rolls the
    batch back.
    """
    with _autocommit(session) as explicit:
        yield Batch(session, explicit)
    if not on_sqlite(session):
        session.commit()
