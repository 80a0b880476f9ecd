"""Batched jobs: one run serves everything queued before it began; inline batches run on the loop."""

from __future__ import annotations

import threading

import anyio
import pytest

from paperstand.web.coalesce import Batched

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


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


async def test_an_inline_batch_runs_on_the_loop_and_takes_every_job_of_the_turn() -> None:
    inline: list[tuple[list[str], int]] = []

    def run_inline(jobs: list[str]) -> list[str | Exception]:
        inline.append((list(jobs), threading.get_ident()))
        return [j.upper() for j in jobs]

    def run(jobs: list[str]) -> list[str | Exception]:
        raise AssertionError("nothing had to wait")

    batched: Batched[str, str] = Batched(run, run_inline=run_inline)
    results: dict[str, str] = {}

    async def submit(job: str) -> None:
        results[job] = await batched.submit(job)

    async with anyio.create_task_group() as tg:
        for job in ("a", "b", "c"):  # started in one turn of the loop: one batch
            tg.start_soon(submit, job)
    assert results == {"a": "A", "b": "B", "c": "C"}
    assert inline == [(["a", "b", "c"], threading.get_ident())]
    assert await batched.submit("d") == "D"
    assert [jobs for jobs, _ in inline] == [["a", "b", "c"], ["d"]]


async def test_a_batch_that_must_wait_goes_to_the_thread_and_the_next_is_tried_inline_again() -> None:
    inline: list[list[int]] = []
    threaded: list[tuple[list[int], int]] = []
    busy = {"now": True}

    def run_inline(jobs: list[int]) -> list[int | Exception] | None:
        inline.append(list(jobs))
        return None if busy["now"] else [j + 1 for j in jobs]

    def run(jobs: list[int]) -> list[int | Exception]:
        threaded.append((list(jobs), threading.get_ident()))
        busy["now"] = False  # the lock it waited for is free now
        return [j * 10 for j in jobs]

    batched: Batched[int, int] = Batched(run, run_inline=run_inline)
    assert await batched.submit(1) == 10
    assert await batched.submit(2) == 3  # inline again
    assert [jobs for jobs, _ in threaded] == [[1]]
    assert threaded[0][1] != threading.get_ident()
    assert inline == [[1], [2]]
