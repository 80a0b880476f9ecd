"""Rate limits on a real server: a flooding client gets 429s while another client is served, on memory and Redis."""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import httpx
import pytest
from tests.conftest import LiveServer, start_server

REDIS_URL = os.environ.get("PAPERSTAND_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def _loopback() -> str:
    """A random 127.x address (Linux routes all of 127/8 to loopback), so runs never share a count in Redis."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(2, 254)}"


def _client(source: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=10)


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def tight_server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server allowing ten pages and ten API requests a minute per client."""
    yield from start_server(db_url, tmp_path / "var", {"PAPERSTAND_RATE_LIMITS": "pages=10/minute;api=10/minute"})


def _flood(server: str, client: httpx.Client, path: str, count: int) -> list[httpx.Response]:
    return [client.get(server + path) for _ in range(count)]


def test_a_flood_gets_429_while_another_client_is_served(tight_server: LiveServer) -> None:
    """RELIABILITY 27: the flooding client is refused with Retry-After; a second client sees only 200s."""
    flooder, other = _loopback(), _loopback()
    with _client(flooder) as a, _client(other) as b:
        flood = _flood(tight_server.url, a, "/", 30)
        calm = _flood(tight_server.url, b, "/", 10)
        api = _flood(tight_server.url, a, "/api/daily_papers?limit=1", 11)
    assert [r.status_code for r in flood] == [200] * 10 + [429] * 20
    refused = flood[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-limit"] == "10" and refused.headers["ratelimit-remaining"] == "0"
    assert refused.headers["ratelimit-policy"] == "10;w=60"
    assert "Too many requests" in refused.text
    assert [r.status_code for r in calm] == [200] * 10
    assert [r.headers["ratelimit-remaining"] for r in calm] == [str(n) for n in range(9, -1, -1)]
    # The API is another class: the page flood left its allowance whole; past it, the JSON shape.
    assert [r.status_code for r in api] == [200] * 10 + [429]
    assert api[-1].json()["status"] == 429 and api[-1].headers["retry-after"]


def test_redis_shares_the_count_across_processes(db_url: str, tmp_path: Path) -> None:
    """Two server processes on one Redis: a client alternating between them gets ten answers in all."""
    if not _redis_reachable():
        pytest.skip(f"Redis not reachable at {REDIS_URL}; set PAPERSTAND_TEST_REDIS_URL")
    env = {"PAPERSTAND_RATE_LIMITS": "pages=10/minute", "PAPERSTAND_REDIS_URL": REDIS_URL}
    first = start_server(db_url, tmp_path / "one", env)
    second = start_server(db_url, tmp_path / "two", env)
    try:
        servers = (next(first).url, next(second).url)
        flooder, other = _loopback(), _loopback()
        with _client(flooder) as a, _client(other) as b:
            flood = [a.get(servers[i % 2] + "/") for i in range(20)]
            calm = [b.get(servers[i % 2] + "/") for i in range(10)]
    finally:
        first.close()
        second.close()
    assert [r.status_code for r in flood] == [200] * 10 + [429] * 10
    assert {r.headers["retry-after"] != "" for r in flood[10:]} == {True}
    assert [r.status_code for r in calm] == [200] * 10


def _subscribe_form(server: str, client: httpx.Client) -> str:
    page = client.get(server + "/subscribe")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def _recipients(folder: Path) -> list[str]:
    """Who was mailed, once the background sends have settled (the count stops changing)."""
    seen: list[str] = []
    for _ in range(20):
        time.sleep(0.3)
        now = sorted(str(message_from_bytes(p.read_bytes(), policy=default)["To"]) for p in folder.glob("*.eml"))
        if now and now == seen:
            break
        seen = now
    return seen


def test_one_address_gets_a_few_mails_and_one_client_a_few_forms(db_url: str, tmp_path: Path) -> None:
    """Posts for one address: three answered, then 429 and no more mail; rotating addresses meets the forms limit."""
    env = {"PAPERSTAND_RATE_LIMITS": "forms=8/minute;mail=3/minute"}
    for server in start_server(db_url, tmp_path / "var", env):
        with _client(_loopback()) as one, _client(_loopback()) as many, _client(_loopback()) as calm:
            token = _subscribe_form(server.url, one)
            same = [one.post(server.url + "/subscribe", data={"email": "target@example.org", "csrf": token})
                    for _ in range(10)]
            token = _subscribe_form(server.url, many)
            rotated = [many.post(server.url + "/subscribe", data={"email": f"n{i}@example.org", "csrf": token})
                       for i in range(10)]
            token = _subscribe_form(server.url, calm)
            other = calm.post(server.url + "/subscribe", data={"email": "target@example.org", "csrf": token})
        assert [r.status_code for r in same] == [200] * 3 + [429] * 7
        assert ["already sent several messages" in r.text for r in same[3:]] == [True] * 5 + [False] * 2
        assert "sent more forms" in same[-1].text  # past its eight posts, the client's own limit speaks
        assert 1 <= int(same[-1].headers["retry-after"]) <= 60
        assert [r.status_code for r in rotated] == [200] * 8 + [429] * 2
        assert other.status_code == 429 and "already sent several messages" in other.text  # whoever asks
        mailed = _recipients(tmp_path / "var" / "mail")
        assert 1 <= mailed.count("target@example.org") <= 3  # at most the allowance (fewer with a cooldown)
        assert sorted(set(mailed) - {"target@example.org"}) == sorted(f"n{i}@example.org" for i in range(8))
