"""One database read shared by every request that asked for it before the read began.

On PostgreSQL each page-cache hit asks the database for the data versions, and a page beside voters
asks for its papers' vote counts too: a round trip each, on a dedicated connection. Fifty readers at once
then queue behind one another's round trips (and behind the interpreter, which every waking thread must
take back), and the readers' throughput falls to that of one connection.

A ``Coalesced`` read serves a whole queue with one round trip: requests that arrive while a read is in
flight wait for the next one, which starts as soon as the current one ends and answers all of them
together (counts: for the union of the papers they asked about). No answer is older than its request —
every read that serves a request began after that request asked — so a page never shows less than what
was committed before it was requested.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from typing import Generic, TypeVar

import anyio
import anyio.to_thread

R = TypeVar("R")


class Coalesced(Generic[R]):
    """``read(keys)`` run on a worker thread, at most one at a time, each run serving every caller queued before it."""

    def __init__(self, read: Callable[[set[int]], R], *, limiter: anyio.CapacityLimiter | None = None) -> None:
        self._read = read
        self._limiter = limiter or anyio.CapacityLimiter(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queued: list[tuple[Collection[int], asyncio.Future[R]]] = []
        self._running = False

    async def get(self, keys: Collection[int] = ()) -> R:
        """The answer of a read that begins after this call (raises what the read raised)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (a test client's): nothing queued on the old one is served
            self._loop, self._queued, self._running = loop, [], False
        answer: asyncio.Future[R] = loop.create_future()
        self._queued.append((keys, answer))
        if not self._running:
            self._running = True
            loop.create_task(self._serve())
        return await answer

    async def _serve(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                keys: set[int] = set()
                for wanted, _ in batch:
                    keys.update(wanted)
                try:
                    result = await anyio.to_thread.run_sync(self._read, keys, limiter=self._limiter)
                except Exception as exc:  # noqa: BLE001 - every caller of this read gets its error
                    for _, answer in batch:
                        if not answer.done():  # a caller that gave up (its request was cancelled) is skipped
                            answer.set_exception(exc)
                else:
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_result(result)
        finally:
            self._running = False
