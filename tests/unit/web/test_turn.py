"""Reads shared within one turn of the event loop, and never by a request that arrived after them."""

from __future__ import annotations

import asyncio

import pytest

from paperstand.web import turn
from paperstand.web.turn import TurnCounts, TurnRead, Unavailable

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_one_read_serves_a_turn_and_the_next_turn_reads_again() -> None:
    committed = {"value": 1}
    reads: list[int] = []

    def read() -> int:
        reads.append(committed["value"])
        return committed["value"]

    shared = TurnRead(read)
    assert shared.get() == 1 and shared.get() == 1
    assert reads == [1]
    committed["value"] = 2
    await asyncio.sleep(0)  # the next turn
    assert shared.get() == 2
    assert reads == [1, 2]


async def test_a_request_that_arrives_after_the_read_gets_a_read_of_its_own() -> None:
    """Whatever the loop queues after a read (a request read from a socket) runs after the read is forgotten."""
    committed = {"value": 1}
    shared = TurnRead(lambda: committed["value"])
    later: list[int] = []
    assert shared.get() == 1
    committed["value"] = 2  # committed after that read, before the next request arrives
    loop = asyncio.get_running_loop()
    loop.call_soon(lambda: later.append(shared.get()))  # as a request's first step is queued
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert later == [2]


async def test_a_failed_read_is_not_retried_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"now": 100.0}
    monkeypatch.setattr(turn.time, "monotonic", lambda: clock["now"])
    calls = {"n": 0}

    def read() -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("database went away")
        return "ok"

    shared = TurnRead(read)
    with pytest.raises(ConnectionError):
        shared.get()
    with pytest.raises(Unavailable):
        shared.get()  # within RETRY_AFTER: the database is not asked
    assert calls["n"] == 1
    clock["now"] += turn.RETRY_AFTER
    assert shared.get() == "ok"


async def test_counts_read_only_the_keys_not_read_this_turn() -> None:
    votes = {1: 5, 2: 0, 3: 7}
    asked: list[set[int]] = []

    def read(keys: set[int]) -> dict[int, int]:
        asked.append(set(keys))
        return {k: votes[k] for k in keys if votes.get(k)}

    counts = TurnCounts(read)
    assert counts.get({1, 2}) == {1: 5}
    assert counts.get({2, 3}) == {3: 7}
    assert counts.get([1, 3]) == {1: 5, 3: 7}
    assert asked == [{1, 2}, {3}]
    votes[1] = 6
    await asyncio.sleep(0)
    assert counts.get({1}) == {1: 6}
    assert asked[-1] == {1}


async def test_failed_counts_are_not_retried_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"now": 100.0}
    monkeypatch.setattr(turn.time, "monotonic", lambda: clock["now"])

    def read(_keys: set[int]) -> dict[int, int]:
        raise ConnectionError("down")

    counts = TurnCounts(read)
    with pytest.raises(ConnectionError):
        counts.get({1})
    with pytest.raises(Unavailable):
        counts.get({2})
    assert counts.get(set()) == {}  # nothing to read: nothing asked
