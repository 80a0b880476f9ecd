"""Fifty identical votes at once against a real ``paperstand serve``: one row, and every answer agrees."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import LiveServer, MadeMember, make_member

from paperstand.community.models import Vote
from paperstand.db import make_engine
from paperstand.ingest.record import PaperRecord
from paperstand.papers.models import Paper
from paperstand.papers.store import store_batch

CONCURRENT = 50
CSRF = "concurrent-votes-token-0123"


def _setup(server: LiveServer) -> tuple[Engine, MadeMember]:
    engine = make_engine(server.db_url)
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="hf-daily", title="Sparse Lanterns", arxiv_id="2503.00001",
                                       hf_upvotes=340, featured_on=date(2025, 3, 11), position=1)])
    return engine, make_member(engine, "ada")


def _rows(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Vote)) or 0)


def _burst(send: object) -> list[httpx.Response]:
    """``send(client)`` from 50 threads released together, each with its own connection."""
    gate = threading.Barrier(CONCURRENT)

    def one(_: int) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            gate.wait()
            return send(client)  # type: ignore[operator, no-any-return]

    with ThreadPoolExecutor(CONCURRENT) as pool:
        return list(pool.map(one, range(CONCURRENT)))


def test_fifty_identical_upvotes_then_unvotes(live_server: LiveServer) -> None:
    engine, ada = _setup(live_server)
    url = f"{live_server.url}/api/papers/2503.00001/upvote"
    ups = _burst(lambda client: client.post(url, headers=ada.bearer))
    assert [r.status_code for r in ups] == [200] * CONCURRENT, {r.text for r in ups if r.status_code != 200}
    assert {(r.json()["local"], r.json()["upvotes"], r.json()["voted"]) for r in ups} == {(1, 341, True)}
    assert _rows(engine) == 1
    downs = _burst(lambda client: client.delete(url, headers=ada.bearer))
    assert [r.status_code for r in downs] == [200] * CONCURRENT
    assert {r.json()["local"] for r in downs} == {0} and _rows(engine) == 0
    engine.dispose()


def test_fifty_identical_form_posts(live_server: LiveServer) -> None:
    """The same through the HTML form (a member double-clicking, or a script replaying the post)."""
    engine, ada = _setup(live_server)
    url = f"{live_server.url}/papers/2503.00001/upvote"
    headers = {"Cookie": f"ps_session={ada.cookie}; ps_csrf={CSRF}"}
    for action, rows in (("up", 1), ("down", 0)):
        answers = _burst(lambda client, a=action: client.post(  # type: ignore[misc]
            url, headers=headers, data={"csrf": CSRF, "action": a, "next": "/"}))
        assert {(r.status_code, r.headers.get("location")) for r in answers} == {(303, "/")}
        assert _rows(engine) == rows
    page = httpx.get(f"{live_server.url}/papers/2503.00001").text
    assert '<span aria-hidden="true">▲</span> 0' in page and "· 340 on Hugging Face" in page
    engine.dispose()


def test_many_voters_at_once_each_get_their_own_answer(live_server: LiveServer) -> None:
    """Votes in flight share batches: 40 members, some refused (banned, no token), each answered alone."""
    engine, _ = _setup(live_server)
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="listing", title="Counting Sheep", arxiv_id="2503.00002")])
    members = [make_member(engine, f"voter{n}", banned=n % 10 == 9) for n in range(40)]
    headers = [m.bearer for m in members] + [{"Authorization": "Bearer ps_unknown"}] * 5 + [{}] * 5
    papers = ["2503.00001", "2503.00002", "2599.99999"]
    gate = threading.Barrier(len(headers))

    def one(n: int) -> httpx.Response:
        with httpx.Client(timeout=60) as client:
            gate.wait()
            return client.post(f"{live_server.url}/api/papers/{papers[n % 3]}/upvote", headers=headers[n])

    with ThreadPoolExecutor(len(headers)) as pool:
        answers = list(pool.map(one, range(len(headers))))
    for n, answer in enumerate(answers):
        if n >= 40:
            assert answer.status_code == 401, (n, answer.text)
        elif n % 10 == 9:
            assert answer.status_code == 403, (n, answer.text)
        elif n % 3 == 2:
            assert answer.status_code == 404, (n, answer.text)
        else:
            assert answer.status_code == 200 and answer.json()["voted"] is True, (n, answer.text)
    expected = sum(1 for n in range(40) if n % 10 != 9 and n % 3 != 2)
    assert _rows(engine) == expected
    # The counts the last answers carry are the stored ones.
    last = max((a.json()["local"] for n, a in enumerate(answers) if a.status_code == 200 and n % 3 == 0))
    with Session(engine) as s:
        stored = s.scalar(select(func.count()).select_from(Vote).join(Paper, Paper.id == Vote.paper_id)
                          .where(Paper.arxiv_id == "2503.00001"))
    assert last == stored
    engine.dispose()
