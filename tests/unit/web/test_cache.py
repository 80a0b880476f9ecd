"""The page cache's pure parts: query normalisation, keys, what may be stored, the stores."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from paperstand.web.cache import bypasses, cacheable_path, normalized_query, request_key, storable, tagged
from paperstand.web.cache_store import Entry, MemoryStore, RedisStore


def _scope(path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, object]:
    return {"type": "http", "method": "GET", "scheme": "http", "path": path, "query_string": query,
            "headers": headers or [(b"host", b"example.org")]}


def test_query_parameters_are_sorted_by_name_keeping_repeated_values_in_order() -> None:
    assert normalized_query(b"b=2&a=1") == b"a=1&b=2"
    assert normalized_query(b"q=2&a=1&q=1") == b"a=1&q=2&q=1"
    # %71 is "q": two values of one name keep their order, whichever spelling.
    assert normalized_query(b"q=1&%71=2") == b"q=1&%71=2"
    assert normalized_query(b"&&a=1&") == b"a=1"


def test_keys_tell_queries_hosts_and_paths_apart_but_not_parameter_order() -> None:
    key = request_key(_scope("/api/daily_papers", b"date=2025-03-11&limit=2"))
    assert key == request_key(_scope("/api/daily_papers", b"limit=2&date=2025-03-11"))
    assert key != request_key(_scope("/api/daily_papers", b"limit=3&date=2025-03-11"))
    assert key != request_key(_scope("/api/daily_papers", b"date=2025-03-11&limit=2", [(b"host", b"other")]))
    # A feed prints its own address: its query is kept as sent.
    assert request_key(_scope("/feeds/search.rss", b"q=a&x=1")) != request_key(_scope("/feeds/search.rss", b"x=1&q=a"))
    assert request_key(_scope("/search", b"q=%ff")) != request_key(_scope("/search", b"q=%fe"))


def test_which_paths_are_cached() -> None:
    for path in ("/", "/search", "/papers/date/2025-03-11", "/papers/2503.00201.md", "/arxiv/2025-03",
                 "/feeds/latest.rss", "/api/daily_papers", "/api/papers/search", "/api/papers/2503.00201"):
        assert cacheable_path(path), path
    for path in ("/subscribe", "/subscribe/confirm", "/preferences/k", "/unsubscribe/k", "/docs", "/static/x.css",
                 "/openapi.json"):
        assert not cacheable_path(path), path


def test_sessions_and_credentials_bypass() -> None:
    assert bypasses(_scope("/", headers=[(b"cookie", b"a=1; ps_session=x")]))
    assert bypasses(_scope("/", headers=[(b"authorization", b"Bearer t")]))
    assert not bypasses(_scope("/", headers=[(b"cookie", b"ps_csrf=x")]))


def _entry(status: int = 200, *headers: tuple[bytes, bytes], body: bytes = b"<p>hi</p>") -> Entry:
    return Entry(status, [(b"content-type", b"text/html"), *headers], body)


def test_only_shared_successes_are_storable() -> None:
    assert storable(_entry())
    assert not storable(_entry(404))
    assert not storable(_entry(301))
    assert not storable(_entry(200, (b"set-cookie", b"a=1")))
    assert not storable(_entry(200, (b"cache-control", b"private, no-store")))
    assert not storable(_entry(200, (b"cache-control", b"no-store")))
    assert not storable(_entry(200, (b"vary", b"Cookie")))


def test_tags_name_the_version_and_the_bytes() -> None:
    one, two = tagged(_entry(), 7), tagged(_entry(body=b"<p>other</p>"), 7)
    etag = dict(one.headers)[b"etag"].decode()
    assert etag.startswith('"v7-') and etag != dict(two.headers)[b"etag"].decode()
    assert dict(tagged(_entry(), 7).headers)[b"etag"].decode() == etag
    assert dict(tagged(_entry(), 8).headers)[b"etag"].decode() != etag
    assert dict(one.headers)[b"cache-control"] == b"no-cache"


def test_entries_survive_their_encoding() -> None:
    entry = _entry(200, (b"etag", b'"v1-ab"'), body=b"\x00\xff\n\nbody")
    assert Entry.from_bytes(entry.to_bytes()) == entry
    with pytest.raises(ValueError):
        Entry.from_bytes(b"no head")


def test_the_memory_store_evicts_least_recently_used_by_bytes() -> None:
    async def scenario() -> None:
        one = _entry(body=b"x" * 100)
        store = MemoryStore(capacity=3 * one.size)
        for key in "abc":
            await store.put(key, one)
        assert await store.get("a") == one  # a is now the most recent
        await store.put("d", one)
        assert await store.get("b") is None and await store.get("a") == one
        assert store.used == 3 * one.size and len(store) == 3
        await store.put("huge", _entry(body=b"x" * 1000))
        assert await store.get("huge") is None and len(store) == 3
    asyncio.run(scenario())


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A private redis-server on a free port (skips when Redis is not installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def test_the_redis_store_is_shared_and_survives_an_outage(redis_url: str) -> None:
    async def scenario() -> None:
        first, second = RedisStore(redis_url), RedisStore(redis_url)
        entry = _entry(body=b"shared")
        await first.put("k", entry)
        assert await second.get("k") == entry
        down = RedisStore("redis://127.0.0.1:1/0")
        assert await down.get("k") is None
        await down.put("k", entry)  # logged, never raised
    asyncio.run(scenario())
