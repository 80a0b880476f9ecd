"""The write API's votes run on the event loop, never waiting there for another writer's lock (SQLite, PostgreSQL)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.app import create_app
from paperstand.community.models import Vote
from paperstand.config import Settings
from paperstand.db import SQLITE_BUSY_TIMEOUT_MS, make_engine, migrate
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[str, Path, Engine]]:
    path = tmp_path / "paperstand.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="listing", title="Sparse Lanterns", arxiv_id="2503.00001")])
    yield url, path, engine
    engine.dispose()


def vote_while_locked(client: TestClient, bearer: dict[str, str], release: Callable[[], object]) -> None:
    """Vote while another writer holds the lock ``release`` frees after 0.5 s: the vote waits for it and
    counts, and a page asked meanwhile is served before the vote's answer (the loop did not wait)."""
    threading.Timer(0.5, release).start()
    started = time.monotonic()
    voted: dict[str, object] = {}
    voting = threading.Thread(target=lambda: voted.update(
        answer=client.post("/api/papers/2503.00001/upvote", headers=bearer), at=time.monotonic()))
    voting.start()
    time.sleep(0.1)
    page = client.get("/api/papers/2503.00001")  # while the vote waits for the lock
    served = time.monotonic()
    voting.join(10)
    answer: Any = voted["answer"]
    assert answer.status_code == 200, answer.text
    assert answer.json()["local"] == 1
    assert float(voted["at"]) - started >= 0.4  # type: ignore[arg-type]  # it waited for the lock, not "locked"
    assert page.status_code == 200 and served < float(voted["at"])  # type: ignore[arg-type]  # the loop did not wait


def test_a_vote_while_another_process_writes_waits_for_it_and_counts(sqlite_file: tuple[str, Path, Engine]) -> None:
    url, path, engine = sqlite_file
    ada = make_member(engine, "ada")
    app = create_app(Settings(database_url=url, harvest_on_start=False))
    with TestClient(app) as client:
        assert client.post("/api/papers/2503.00001/upvote", headers=ada.bearer).status_code == 200
        client.delete("/api/papers/2503.00001/upvote", headers=ada.bearer)
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)  # as another process
        other.execute("BEGIN IMMEDIATE")
        vote_while_locked(client, ada.bearer, lambda: other.execute("COMMIT"))
        other.close()
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Vote)) == 1


def test_the_pool_keeps_its_busy_timeout(sqlite_file: tuple[str, Path, Engine]) -> None:
    """The loop's connection never waits for a lock; no connection the app's other requests use may inherit that."""
    url, _, engine = sqlite_file
    ada = make_member(engine, "ada")
    app = create_app(Settings(database_url=url, harvest_on_start=False))
    with TestClient(app) as client:
        for _ in range(5):
            assert client.post("/api/papers/2503.00001/upvote", headers=ada.bearer).status_code == 200
        timeouts = set()
        sessions = [app.state.sessions() for _ in range(6)]  # more than one pooled connection at once
        for s in sessions:
            timeouts.add(s.execute(text("PRAGMA busy_timeout")).scalar())
        for s in sessions:
            s.close()
    assert timeouts == {SQLITE_BUSY_TIMEOUT_MS}


@pytest.fixture
def postgres(db_url: str) -> Iterator[tuple[str, Engine]]:
    """A migrated PostgreSQL schema holding one paper (``db_url`` narrowed to PostgreSQL by the tests)."""
    engine = make_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="listing", title="Sparse Lanterns", arxiv_id="2503.00001")])
    yield db_url, engine
    engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_a_vote_behind_another_writers_lock_waits_on_a_thread(postgres: tuple[str, Engine]) -> None:
    """On PostgreSQL the batch runs on the loop, but a lock held elsewhere is waited for off it."""
    url, engine = postgres
    ada = make_member(engine, "ada")
    app = create_app(Settings(database_url=url, harvest_on_start=False))
    with TestClient(app) as client:
        assert client.post("/api/papers/2503.00001/upvote", headers=ada.bearer).status_code == 200
        client.delete("/api/papers/2503.00001/upvote", headers=ada.bearer)
        other = engine.connect()  # as another process: holds the votes table until it commits
        other.exec_driver_sql("LOCK TABLE votes IN EXCLUSIVE MODE")
        vote_while_locked(client, ada.bearer, other.commit)
        other.close()
        # The pool's connections never inherit the loop connection's timeouts.
        sessions = [app.state.sessions() for _ in range(4)]
        settings = {(s.execute(text("SHOW lock_timeout")).scalar(), s.execute(text("SHOW statement_timeout")).scalar())
                    for s in sessions}
        for s in sessions:
            s.close()
        assert settings == {("0", "0")}
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Vote)) == 1


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_a_vote_after_its_connection_was_lost_still_counts(postgres: tuple[str, Engine]) -> None:
    url, engine = postgres
    ada = make_member(engine, "ada")
    app = create_app(Settings(database_url=url, harvest_on_start=False))
    with TestClient(app) as client:
        assert client.post("/api/papers/2503.00001/upvote", headers=ada.bearer).status_code == 200
        loop_conn: Any = app.state.vote_writer._conn  # noqa: SLF001 - the connection the batches use
        pid = loop_conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        loop_conn.rollback()
        with engine.connect() as admin:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
            admin.commit()
        answer = client.delete("/api/papers/2503.00001/upvote", headers=ada.bearer)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"upvotes": 0, "local": 0, "voted": False}
        assert client.post("/api/papers/2503.00001/upvote", headers=ada.bearer).json()["local"] == 1
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Vote)) == 1
