"""The event loop's own connections (page versions, live counts, votes) never wait for the request pool.

Requests on worker threads hold the pooled connections, and give one back only when the loop runs the
end of their handler. Fifty submissions at once held all fifteen; the live counts' reader, reconnecting
on the loop, then waited for the pool, the loop stood still for the pool's 30 s timeout, and five of the
fifty were answered 500.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, Engine

from paperstand.api.vote_writer import vote_writer
from paperstand.app import create_app
from paperstand.config import Settings


@pytest.fixture
def app(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    made = create_app(Settings(database_url=db_url, data_dir=tmp_path / "var"))
    yield made
    made.state.engine.dispose()
    made.state.loop_engine.dispose()


def _every_pooled_connection(engine: Engine) -> list[Connection]:
    """Check out all the pool can give (its size and its overflow), as fifty busy requests did."""
    pool: Any = engine.pool
    return [engine.connect() for _ in range(pool.size() + pool._max_overflow)]


def _answers_within(call: Callable[[], object], seconds: float) -> bool:
    done = threading.Event()

    def run() -> None:
        call()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done.wait(seconds)


def test_the_loops_readers_and_vote_connection_never_wait_for_the_pool(app: FastAPI) -> None:
    held = _every_pooled_connection(app.state.engine)
    try:
        assert _answers_within(app.state.version_reader.read, 5), "the page versions waited for the pool"
        assert _answers_within(lambda: app.state.tally_reader.counts({1, 2}), 5), "live counts waited for the pool"
        writer = vote_writer(app)
        assert _answers_within(writer._loop_connection, 5), "the vote batches' connection waited for the pool"
        writer._drop_loop_connection()
    finally:
        for conn in held:
            conn.close()
    app.state.version_reader.close()
    app.state.tally_reader.close()
