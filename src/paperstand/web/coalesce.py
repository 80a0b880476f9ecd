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
from collections.abc import Awaitable, Callable, Collection
from typing import Generic, TypeVar

import anyio
import anyio.to_thread

J = TypeVar("J")
R = TypeVar("R")


class Batched(Generic[J, R]):
    """``run(jobs)`` on a worker thread, one batch at a time, each batch every job queued while the last one ran.

    ``run`` answers each job in order, with a result or the exception that job ends in; if ``run`` itself
    raises, every job of the batch ends in that error. Under load the batches grow on their own: each
    waits only for the one before it, so a lone job starts at once and a crowd shares one hand-over.
    """

    def __init__(self, run: Callable[[list[J]], list[R | Exception]] | None = None, *,
                 limiter: anyio.CapacityLimiter | None = None,
                 run_async: Callable[[list[J]], Awaitable[list[R | Exception]]] | None = None) -> None:
        # ``run_async`` instead of ``run``: a coroutine that does its own waiting (an async driver), no thread.
        self._run = run
        self._run_async = run_async
        # A thread of its own by default: a batch never queues behind page renders in the shared pool.
        self._limiter = limiter or anyio.CapacityLimiter(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queued: list[tuple[J, asyncio.Future[R]]] = []
        self._running = False

    async def submit(self, job: J) -> R:
        """The result of ``job``, run in a batch that begins after this call (raises what the job ended in)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (a test client's): nothing queued on the old one is served
            self._loop, self._queued, self._running = loop, [], False
        answer: asyncio.Future[R] = loop.create_future()
        self._queued.append((job, answer))
        if not self._running:
            self._running = True
            loop.create_task(self._serve())
        return await answer

    async def _start(self, jobs: list[J]) -> list[R | Exception]:
        if self._run_async is not None:
            return await self._run_async(jobs)
        assert self._run is not None
        return await anyio.to_thread.run_sync(self._run, jobs, limiter=self._limiter)

    async def _serve(self) -> None:
        try:
            while self._queued:
                batch, self._queued = self._queued, []
                try:
                    results = await self._start([job for job, _ in batch])
                except Exception as exc:  # noqa: BLE001 - every job of the batch gets its error
                    results = [exc] * len(batch)
                for (_, answer), result in zip(batch, results, strict=True):
                    if answer.done():  # a caller that gave up (its request was cancelled) is skipped
                        continue
                    if isinstance(result, Exception):
                        answer.set_exception(result)
                    else:
                        answer.set_result(result)
        finally:
            self._running = False


class Coalesced(Generic[R]):
    """``read(keys)`` run on a worker thread, at most one at a time, each run serving every caller queued before it."""

    def __init__(self, read: Callable[[set[int]], R], *, limiter: anyio.CapacityLimiter | None = None) -> None:
        self._read = read
        self._batched: Batched[Collection[int], R] = Batched(self._run, limiter=limiter)

    async def get(self, keys: Collection[int] = ()) -> R:
        """The answer of a read that begins after this call (raises what the read raised)."""
        return await self._batched.submit(keys)

    def _run(self, wanted: list[Collection[int]]) -> list[R | Exception]:
        keys: set[int] = set()
        for some in wanted:
            keys.update(some)
        return [self._read(keys)] * len(wanted)
