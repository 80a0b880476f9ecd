"""Fifty identical comment posts at once, through a real ``paperstand serve``, leave one comment (both databases)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import LiveServer, make_member, start_server

from comments_fixtures import store_paper
from paperstand.community.models import Comment
from paperstand.db import make_engine
from paperstand.mail.models import OutgoingMail

N = 50
PAPER = "2503.04444"
CSRF = "burst-csrf"


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A live server without rate limits, so only the write path is measured."""
    yield from start_server(db_url, tmp_path / "var", {"PAPERSTAND_RATE_LIMITS": "off"})


@pytest.fixture
def db(server: LiveServer) -> Iterator[Engine]:
    """An engine on the server's database, with the paper to comment on."""
    engine = make_engine(server.db_url)
    store_paper(engine, PAPER)
    yield engine
    engine.dispose()


def _burst(server: LiveServer, send: str, **request: object) -> list[int]:
    """Send the same request ``N`` times at once (one connection each); the status codes."""
    async def run() -> list[int]:
        limits = httpx.Limits(max_connections=N, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
            start = asyncio.Event()

            async def one() -> int:
                await start.wait()
                return (await client.request("POST", send, **request)).status_code  # type: ignore[arg-type]

            tasks = [asyncio.create_task(one()) for _ in range(N)]
            await asyncio.sleep(0.05)
            start.set()
            return list(await asyncio.gather(*tasks))
    return asyncio.run(run())


def _comments_and_mails(engine: Engine) -> tuple[int, int]:
    with Session(engine) as s:
        return (int(s.scalar(select(func.count()).select_from(Comment)) or 0),
                int(s.scalar(select(func.count()).select_from(OutgoingMail)) or 0))


def test_fifty_identical_api_posts_leave_one_comment(server: LiveServer, db: Engine) -> None:
    ada = make_member(db, "ada")
    make_member(db, "bob")
    headers = {**ada.bearer, "Idempotency-Key": "7f9c1e2a-burst"}
    codes = _burst(server, f"/api/papers/{PAPER}/comments", json={"body": "Same words, @bob"}, headers=headers)
    assert codes == [201] * N
    assert _comments_and_mails(db) == (1, 1)
    listed = httpx.get(f"{server.url}/api/papers/{PAPER}/comments").json()
    assert [c["body"] for c in listed] == ["Same words, @bob"]
    assert httpx.get(f"{server.url}/api/papers/{PAPER}").json()["numComments"] == 1


def test_fifty_identical_form_posts_leave_one_comment(server: LiveServer, db: Engine) -> None:
    ada = make_member(db, "ada")
    headers = {"Cookie": f"ps_session={ada.cookie}; ps_csrf={CSRF}"}
    form = {"csrf": CSRF, "body": "Pressed the button many times", "key": "form-key-1"}
    codes = _burst(server, f"/papers/{PAPER}/comments", data=form, headers=headers)
    assert codes == [303] * N
    assert _comments_and_mails(db) == (1, 0)
