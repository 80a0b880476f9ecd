"""Writes under concurrency, through HTTP against a real ``paperstand serve``, on SQLite and PostgreSQL.

Fifty identical requests fired at once: subscribing stores one pending row and sends at most one mail,
confirming one token succeeds once, one-click unsubscribing stores one suppression. None answers 5xx.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import LiveServer, start_server

from paperstand.backup.journal import JOURNAL_NAME
from paperstand.db import make_engine
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.models import OptInToken, Subscriber, Suppression

SECRET = "concurrency-test-secret"
N = 50
EMAIL = "ada@example.org"


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A live server with a known signing key; rate limits off, so only the write paths are measured."""
    yield from start_server(db_url, tmp_path / "var",
                            {"PAPERSTAND_SECRET_KEY": SECRET, "PAPERSTAND_RATE_LIMITS": "off"})


def _fire(server: LiveServer, path: str, form: dict[str, str], cookies: dict[str, str]) -> list[int]:
    """POST ``form`` to ``path`` ``N`` times at once (one connection each); the status codes."""
    async def burst() -> list[int]:
        limits = httpx.Limits(max_connections=N, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=server.url, cookies=cookies, limits=limits, timeout=60) as client:
            start = asyncio.Event()

            async def one() -> int:
                await start.wait()
                return (await client.post(path, data=form)).status_code

            tasks = [asyncio.create_task(one()) for _ in range(N)]
            await asyncio.sleep(0.05)
            start.set()
            return list(await asyncio.gather(*tasks))
    return asyncio.run(burst())


def _csrf(server: LiveServer) -> tuple[str, dict[str, str]]:
    page = httpx.get(server.url + "/subscribe")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1), dict(page.cookies)


def _mails(server: LiveServer, at_least: int = 0) -> list[Path]:
    """The mail files the server wrote, waiting a little for ones sent after the response."""
    folder = Path(server.env["PAPERSTAND_DATA_DIR"]) / "mail"
    deadline = time.monotonic() + 5
    while True:
        found = sorted(folder.glob("*.eml")) if folder.is_dir() else []
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _count(server: LiveServer, model: type, *where: object) -> int:
    engine = make_engine(server.db_url)
    try:
        with Session(engine) as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def _subscribe_all(server: LiveServer) -> tuple[list[int], str, dict[str, str]]:
    csrf, cookies = _csrf(server)
    return _fire(server, "/subscribe", {"email": EMAIL, "csrf": csrf}, cookies), csrf, cookies


def _subscriber_id(server: LiveServer) -> int:
    engine = make_engine(server.db_url)
    try:
        with Session(engine) as s:
            return int(s.execute(select(Subscriber.id).where(Subscriber.email == EMAIL)).scalar_one())
    finally:
        engine.dispose()


def test_fifty_identical_subscribes_then_fifty_confirms(server: LiveServer) -> None:
    """Subscribes: no 5xx, one pending row, one token, one mail. Confirms of its token: exactly one succeeds."""
    codes, csrf, cookies = _subscribe_all(server)
    assert codes == [200] * N
    time.sleep(1)  # any further mail would have been written by now
    mails = _mails(server, at_least=1)
    assert len(mails) == 1
    assert _count(server, Subscriber, Subscriber.email == EMAIL, Subscriber.status == "pending") == 1
    assert _count(server, OptInToken) == 1

    mail = message_from_bytes(mails[0].read_bytes(), policy=default)
    token = re.search(r"/subscribe/confirm\?token=(\S+)", mail.get_content())  # type: ignore[attr-defined]
    assert token
    codes = _fire(server, "/subscribe/confirm", {"token": token.group(1), "csrf": csrf}, cookies)
    assert sorted(codes) == [200] + [400] * (N - 1)  # the others are told the link was already used
    assert _count(server, Subscriber, Subscriber.status == "confirmed") == 1


def test_bad_time_zones_then_fifty_one_click_unsubscribes(server: LiveServer) -> None:
    """Bad zones: 400 beside the field (500s once). One-click POSTs at once: all 200, one suppression, one line."""
    _subscribe_all(server)
    sid = _subscriber_id(server)
    key = make_key(SECRET.encode(), "preferences", sid)
    with httpx.Client(base_url=server.url) as client:
        page = client.get(f"/preferences/{key}")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert page.status_code == 200 and csrf
        # A zone folder, an over-long name, a path, a trailing slash, a NUL (repro 8).
        for zone in ("America", "A" * 300, "../../etc/passwd", "Europe/", "UTC\x00"):
            answer = client.post(f"/preferences/{key}", data={"csrf": csrf.group(1), "timezone": zone})
            assert answer.status_code == 400, zone
            if "\x00" in zone:  # refused at the door, before the form: no control character reaches a handler
                assert "control character" in answer.text
            else:
                assert 'id="timezone-error"' in answer.text and "unknown time zone" in answer.text
        saved = client.post(f"/preferences/{key}", data={"csrf": csrf.group(1), "timezone": "America/New_York"})
        assert saved.status_code == 200 and "Saved." in saved.text

    codes = _fire(server, f"/unsubscribe/{make_key(SECRET.encode(), 'unsubscribe', sid)}",
                  {"List-Unsubscribe": "One-Click"}, {})
    assert codes == [200] * N
    assert _count(server, Suppression, Suppression.email == EMAIL) == 1
    journal = Path(server.env["PAPERSTAND_DATA_DIR"]) / JOURNAL_NAME
    assert len(journal.read_text().splitlines()) == 1
