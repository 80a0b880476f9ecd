"""Shared reads and batched jobs: one run serves everything queued before it began, and nothing older."""

from __future__ import annotations

import threading

import anyio
import pytest

from paperstand.web.coalesce import Batched, Coalesced

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_read_serves_every_caller_queued_before_it_and_none_gets_an_older_answer() -> None:
    committed = {"value": 1}
    started = threading.Event()
    release = threading.Event()
    reads: list[set[int]] = []

    def read(keys: set[int]) -> int:
        reads.append(set(keys))
        seen = committed["value"]  # what a read that begins now sees
        if len(reads) == 1:
            started.set()
            release.wait(5)
        return seen

    shared = Coalesced(read)
    answers: dict[str, int] = {}

    async def ask(name: str, keys: set[int]) -> None:
        answers[name] = await shared.get(keys)

    async with anyio.create_task_group() as tg:
        tg.start_soon(ask, "first", {1})
        await anyio.to_thread.run_sync(started.wait, 5)
        committed["value"] = 2  # a write committed while the first read is in flight
        for n in range(5):  # these asked after the write: the first read must not answer them
            tg.start_soon(ask, f"later{n}", {10 + n})
        await anyio.sleep(0.05)
        release.set()
    assert answers["first"] == 1
    assert all(answers[f"later{n}"] == 2 for n in range(5))
    assert len(reads) == 2  # five callers, one read
    assert reads[1] == {10, 11, 12, 13, 14}  # counts: the union of what they asked about


async def test_a_failed_read_fails_its_callers_and_the_next_read_works() -> None:
    calls = {"n": 0}

    def read(_keys: set[int]) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("database went away")
        return "ok"

    shared = Coalesced(read)
    with pytest.raises(ConnectionError):
        await shared.get()
    assert await shared.get() == "ok"


async def test_batches_answer_each_job_and_one_jobs_error_is_its_own() -> None:
    batches: list[list[int]] = []
    gate = threading.Event()

    def run(jobs: list[int]) -> list[int | Exception]:
        batches.append(list(jobs))
        if len(batches) == 1:
            gate.wait(5)
        return [ValueError(f"job {j}") if j == 13 else j * 10 for j in jobs]

    batched: Batched[int, int] = Batched(run)
    results: dict[int, object] = {}

    async def submit(job: int) -> None:
        try:
            results[job] = await batched.submit(job)
        except ValueError as exc:
            results[job] = exc

    async with anyio.create_task_group() as tg:
        tg.start_soon(submit, 1)
        await anyio.sleep(0.05)
        for job in (11, 12, 13, 14):  # queued while the first batch runs: all in the second
            tg.start_soon(submit, job)
        await anyio.sleep(0.05)
        gate.set()
    assert batches == [[1], [11, 12, 13, 14]]
    assert results[1] == 10 and results[11] == 110 and results[14] == 140
    assert isinstance(results[13], ValueError)


async def test_a_batch_that_raises_fails_every_job_of_it_only() -> None:
    def run(jobs: list[int]) -> list[int | Exception]:
        if 0 in jobs:
            raise RuntimeError("disk full")
        return list(jobs)

    batched: Batched[int, int] = Batched(run)
    with pytest.raises(RuntimeError):
        await batched.submit(0)
    assert await batched.submit(7) == 7


async def test_an_async_runner_needs_no_thread() -> None:
    threads: list[int] = []

    async def run_async(jobs: list[str]) -> list[str | Exception]:
        threads.append(threading.get_ident())
        return [j.upper() for j in jobs]

    batched: Batched[str, str] = Batched(run_async=run_async)
    assert await batched.submit("vote") == "VOTE"
    assert threads == [threading.get_ident()]
