"""Transaction-long locks that serialise the writers of one member's, one paper's or one day's picks.

Submissions and curation read before they write ("is this paper on any day yet?", "how many has this
member sent today?", "what is the day's last position?"). A unique key cannot answer those across rows,
so the writers that must not interleave take the same lock first and read only after they hold it:

- PostgreSQL: ``pg_advisory_xact_lock`` on (namespace, key), released by COMMIT or ROLLBACK. Under READ
  COMMITTED every statement after the lock sees what the previous holder committed. Keys are always
  taken in one sorted order, so two writers never wait for each other in a cycle.
- SQLite: one writer at a time already; a write as the first statement takes the database's write lock
  at once, so the reads that follow cannot be overtaken by another writer (a deferred transaction
  that read first would instead fail with "database is locked" when it tried to write).
"""

from __future__ import annotations

import zlib
from datetime import date

from sqlalchemy import Integer, cast, func, select, text
from sqlalchemy.orm import Session

from paperstand.dialect import on_sqlite

# The first half of each advisory key: one number per kind of thing locked (arbitrary, fixed).
NAMESPACES = {"day": 7101, "member": 7102, "paper": 7103}
Key = tuple[str, int]


def member_key(member_id: int) -> Key:
    """The lock of one member's submissions (their daily limit)."""
    return ("member", member_id)


def paper_key(arxiv_id: str) -> Key:
    """The lock of one paper's picks, by arXiv id, so it holds before the paper is even stored."""
    # A 32-bit hash: two ids sharing one only makes them wait for each other, never wrong.
    return ("paper", zlib.crc32(arxiv_id.encode()) - 2**31)


def day_key(day: date) -> Key:
    """The lock of one day's list (its positions)."""
    return ("day", day.toordinal())


def hold(session: Session, *keys: Key) -> None:
    """Take every lock in ``keys`` for the rest of the session's transaction (call it before reading)."""
    if on_sqlite(session):
        # Changes nothing (the value stays), but is a write: SQLite's write lock is held from here on.
        session.execute(text("UPDATE data_version SET version = version WHERE id = 1"))
        return
    for kind, key in sorted(set(keys)):
        # Cast: the driver would send a small number as smallint, and the function takes (integer, integer).
        session.execute(select(func.pg_advisory_xact_lock(cast(NAMESPACES[kind], Integer), cast(key, Integer))))
