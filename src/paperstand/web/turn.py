"""Reads shared by every request one turn of the event loop serves: read once, right when first needed.

Each cached page asks the database for the data versions (and, beside voters, for its papers' vote
counts), and a page must never show less than what was committed before it was requested. The event loop
gives that for free: it reads new requests from the sockets between turns and serves them in the next
one, so every request served in a turn arrived before the turn began, and a read made anywhere in the turn
began after all of them. One read per turn serves the whole turn; it is forgotten by a callback queued when
it was made, which runs before the requests that arrive meanwhile are served.

Under load a turn serves dozens of requests, so this takes one query per turn instead of one per request
(SQLite) or a thread hand-over per request, each waiting for the interpreter behind the busy loop
(PostgreSQL, where a turn's read is one local round trip made on the loop). When the database fails to
answer, nobody asks again for ``RETRY_AFTER`` seconds: the pages render without the cache meanwhile
rather than each stalling the loop on a database that is not there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection
from typing import Generic, TypeVar

R = TypeVar("R")

RETRY_AFTER = 1.0


class Unavailable(Exception):
    """The database failed to answer a moment ago; it is not asked again yet."""


class _Backoff:
    """Calls a read unless one failed less than ``RETRY_AFTER`` seconds ago (then raises ``Unavailable``)."""

    def __init__(self) -> None:
        self._failed_at = -RETRY_AFTER

    def call(self, read: Callable[..., R], *args: object) -> R:
        if time.monotonic() - self._failed_at < RETRY_AFTER:
            raise Unavailable("the database did not answer a moment ago")
        try:
            return read(*args)
        except Exception:
            self._failed_at = time.monotonic()
            raise


class TurnRead(Generic[R]):
    """``read()`` at most once per turn of the running event loop."""

    def __init__(self, read: Callable[[], R]) -> None:
        self._read = read
        self._value: R | None = None
        self._fresh = False
        self._backoff = _Backoff()

    def get(self) -> R:
        """This turn's value, read now if nothing has read it in this turn (raises what the read raised)."""
        if self._fresh:
            return self._value  # type: ignore[return-value]
        value = self._backoff.call(self._read)
        self._value, self._fresh = value, True
        asyncio.get_running_loop().call_soon(self._expire)
        return value

    def _expire(self) -> None:
        self._fresh, self._value = False, None


class TurnCounts:
    """Counts per key, each key read at most once per turn: ``read(keys)`` answers for the keys it is given."""

    def __init__(self, read: Callable[[set[int]], dict[int, int]]) -> None:
        self._read = read
        self._known: dict[int, int] = {}
        self._asked: set[int] = set()
        self._fresh = False
        self._backoff = _Backoff()

    def get(self, keys: Collection[int]) -> dict[int, int]:
        """The counts of ``keys`` (keys without a count are left out), reading only those not read this turn."""
        missing = set(keys) - self._asked if self._fresh else set(keys)
        if missing:
            found = self._backoff.call(self._read, missing)
            if not self._fresh:
                self._known, self._asked, self._fresh = {}, set(), True
                asyncio.get_running_loop().call_soon(self._expire)
            self._known.update(found)
            self._asked |= missing
        known = self._known
        return {key: known[key] for key in keys if key in known}

    def _expire(self) -> None:
        self._fresh, self._known, self._asked = False, {}, set()
