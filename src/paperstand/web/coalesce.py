"""Jobs that arrive together, run together: ``Batched`` runs every job queued while the last batch ran.

The write API's votes use it (``paperstand.api.vote_writer``): twenty votes in flight share one
transaction, one commit and, when the batch must wait for a lock, one hand-over to a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
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

    With ``run_inline`` a batch is first tried on the event loop itself, by that function, which answers
    the jobs or returns None for "this batch must wait: run it on the thread" (having done nothing); after
    a batch that had to wait, the next one is tried on the loop again. An inline batch runs when the loop
    next polls its sockets (``_Wakeup``): after every callback of the turn in which its first job came, so
    the batch holds all of that turn's jobs, and before the next turn, whose first callbacks are then its
    answers. A callback queued with ``call_soon`` would run in the next turn and answer in the one after:
    under load every turn serves each ready reader once, and a vote waited a whole extra turn.
    """

    def __init__(self, run: Callable[[list[J]], list[R | Exception]], *,
                 limiter: anyio.CapacityLimiter | None = None,
                 run_inline: Callable[[list[J]], list[R | Exception] | None] | None = None) -> None:
        self._run = run
        self._run_inline = run_inline
        # A thread of its own by default: a batch never queues behind page renders in the shared pool.
        self._limiter = limiter or anyio.CapacityLimiter(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queued: list[tuple[J, asyncio.Future[R]]] = []
        self._running = False
        self._wakeup: _Wakeup | None = None

    async def submit(self, job: J) -> R:
        """The result of ``job``, run in a batch that begins after this call (raises what the job ended in)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (a test client's): nothing queued on the old one is served
            self.close()
            self._loop, self._queued, self._running = loop, [], False
            if self._run_inline is not None:
                self._wakeup = _Wakeup(loop, lambda: self._flush_inline(loop))
        answer: asyncio.Future[R] = loop.create_future()
        self._queued.append((job, answer))
        if not self._running:
            self._running = True
            if self._wakeup is not None:
                self._wakeup.set()
            else:
                loop.create_task(self._serve())
        return await answer

    def close(self) -> None:
        """Release the wake-up socket of the current event loop (jobs still queued are not served)."""
        if self._wakeup is not None:
            self._wakeup.close()
            self._wakeup = None

    async def _start(self, jobs: list[J]) -> list[R | Exception]:
        return await anyio.to_thread.run_sync(self._run, jobs, limiter=self._limiter)

    def _flush_inline(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run what is queued on the loop now; a batch that must wait goes to the thread."""
        if loop is not self._loop:
            return  # scheduled on an event loop that is gone
        assert self._run_inline is not None
        batch, self._queued = self._queued, []
        try:
            results = self._run_inline([job for job, _ in batch])
        except Exception as exc:  # noqa: BLE001 - every job of the batch gets its error
            results = [exc] * len(batch)
        if results is None:
            loop.create_task(self._serve(batch))
            return
        _answer(batch, results)
        self._running = False

    async def _serve(self, first: list[tuple[J, asyncio.Future[R]]] | None = None) -> None:
        try:
            while first or self._queued:
                if first is None:
                    batch, self._queued = self._queued, []
                else:
                    batch, first = first, None
                try:
                    results = await self._start([job for job, _ in batch])
                except Exception as exc:  # noqa: BLE001 - every job of the batch gets its error
                    results = [exc] * len(batch)
                _answer(batch, results)
                if self._wakeup is not None and self._queued:
                    self._wakeup.set()  # the wait is over: what queued meanwhile is tried on the loop again
                    return
        except BaseException:
            self._running = False
            raise
        self._running = False


def _answer(batch: list[tuple[J, asyncio.Future[R]]], results: list[R | Exception]) -> None:
    for (_, answer), result in zip(batch, results, strict=True):
        if answer.done():  # a caller that gave up (its request was cancelled) is skipped
            continue
        if isinstance(result, Exception):
            answer.set_exception(result)
        else:
            answer.set_result(result)


class _Wakeup:
    """Runs ``callback`` when the event loop next polls its sockets, once per ``set()``.

    A byte written to one end of a socket pair makes the other end readable; the loop's reader callback for
    it runs among the socket events of its next poll, after every callback already queued in this turn.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
        self._loop = loop
        self._callback = callback
        self._recv, self._send = socket.socketpair()
        self._recv.setblocking(False)
        self._send.setblocking(False)
        self._set = False
        loop.add_reader(self._recv.fileno(), self._ready)

    def set(self) -> None:
        """Have ``callback`` run at the next poll (once, however often this is called before it)."""
        if not self._set:
            self._set = True
            with contextlib.suppress(BlockingIOError):  # full: a byte is there already
                self._send.send(b"\0")

    def _ready(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self._recv.recv(4096)
        self._set = False
        self._callback()

    def close(self) -> None:
        """Stop watching the socket and close both ends."""
        with contextlib.suppress(Exception):  # the loop may be closed already
            self._loop.remove_reader(self._recv.fileno())
        self._recv.close()
        self._send.close()
