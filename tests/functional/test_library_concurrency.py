"""Twenty identical saves at once against a real ``paperstand serve``: one collection, one saved paper."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import LiveServer, MadeMember, make_member

from paperstand.db import make_engine
from paperstand.ingest.record import PaperRecord
from paperstand.library.models import Collection, CollectionItem
from paperstand.papers.store import store_batch

CONCURRENT = 20
CSRF = "concurrent-library-token-01"


def _setup(server: LiveServer) -> tuple[Engine, MadeMember]:
    engine = make_engine(server.db_url)
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="hf-daily", title="Sparse Lanterns", arxiv_id="2503.00001",
                                       featured_on=date(2025, 3, 11), position=1)])
    return engine, make_member(engine, "ada")


def _rows(engine: Engine) -> tuple[int, int]:
    with Session(engine) as s:
        return (int(s.scalar(select(func.count()).select_from(Collection)) or 0),
                int(s.scalar(select(func.count()).select_from(CollectionItem)) or 0))


def _burst(send: Callable[[httpx.Client], httpx.Response]) -> list[httpx.Response]:
    """``send(client)`` from 20 threads released together, each with its own connection."""
    gate = threading.Barrier(CONCURRENT)

    def one(_: int) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            gate.wait()
            return send(client)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        return list(pool.map(one, range(CONCURRENT)))


def test_twenty_identical_first_saves_through_the_api(live_server: LiveServer) -> None:
    engine, ada = _setup(live_server)
    url = f"{live_server.url}/api/me/collections/reading-list/papers/2503.00001"
    answers = _burst(lambda client: client.post(url, headers=ada.bearer))
    assert [r.status_code for r in answers] == [200] * CONCURRENT, {r.text for r in answers}
    assert sum(r.json()["changed"] for r in answers) == 1
    assert _rows(engine) == (1, 1)
    gone = _burst(lambda client: client.delete(url, headers=ada.bearer))
    assert [r.status_code for r in gone] == [200] * CONCURRENT and sum(r.json()["changed"] for r in gone) == 1
    assert _rows(engine) == (1, 0)
    engine.dispose()


def test_twenty_identical_save_forms(live_server: LiveServer) -> None:
    engine, ada = _setup(live_server)
    headers = {"Cookie": f"ps_session={ada.cookie}; ps_csrf={CSRF}"}
    answers = _burst(lambda client: client.post(f"{live_server.url}/library/save", headers=headers,
                                                data={"csrf": CSRF, "paper": "2503.00001", "next": "/"}))
    assert {(r.status_code, r.headers.get("location")) for r in answers} == {(303, "/")}
    assert _rows(engine) == (1, 1)
    engine.dispose()
