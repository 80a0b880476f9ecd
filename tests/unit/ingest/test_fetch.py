"""The harvest fetcher: retries, backoff, Retry-After, polite delay, timeouts, User-Agent."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import pytest
from harvest_server import FakeClock, ReplayServer, Reply, allow, closed_port_url, scripted

from paperstand import __version__
from paperstand.config import Settings
from paperstand.ingest.fetch import FetchError, HttpFetcher, fetcher_for, parse_retry_after, user_agent

NOW = datetime(2026, 1, 8, 4, 0, tzinfo=UTC)
OK: Reply = (200, {}, b"ok")


def _fetcher(clock: FakeClock, *urls: str, retries: int = 3, interval: dict[str, float] | None = None,
             timeout: float = 5.0) -> HttpFetcher:
    """A fetcher with a fake clock that may reach exactly the local servers at ``urls``."""
    return HttpFetcher(timeout=timeout, retries=retries, agent="paperstand-test", intervals=interval,
                       clock=clock.monotonic, sleep=clock.sleep, now=lambda: NOW, allow_hosts=allow(*urls))


def test_503_with_retry_after_seconds_waits_that_long_then_succeeds() -> None:
    clock = FakeClock()
    with ReplayServer(scripted((503, {"Retry-After": "7"}, b"busy"), OK)) as server:
        assert _fetcher(clock, server.url).get(server.url + "/oai", {"verb": "Identify"}) == b"ok"
    assert clock.sleeps == [7.0]
    assert [r["verb"] for r in server.seen("/oai")] == ["Identify", "Identify"]


def test_retry_after_as_http_date() -> None:
    clock = FakeClock()
    later = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    with ReplayServer(scripted((503, {"Retry-After": later}, b""), OK)) as server:
        assert _fetcher(clock, server.url).get(server.url, {}) == b"ok"
    assert clock.sleeps == [30.0]


def test_429_without_retry_after_backs_off() -> None:
    clock = FakeClock()
    with ReplayServer(scripted((429, {}, b""), (429, {}, b""), OK)) as server:
        assert _fetcher(clock, server.url).get(server.url, {}) == b"ok"
    assert clock.sleeps == [1.0, 2.0]


def test_retry_after_is_clamped() -> None:
    clock = FakeClock()
    with ReplayServer(scripted((503, {"Retry-After": "86400"}, b""), OK)) as server:
        _fetcher(clock, server.url).get(server.url, {})
    assert clock.sleeps == [120.0]


def test_500s_exhausted_give_a_clear_error() -> None:
    clock = FakeClock()
    with ReplayServer(scripted((500, {}, b"boom"))) as server, pytest.raises(FetchError) as info:
        _fetcher(clock, server.url, retries=3).get(server.url + "/oai", {"verb": "ListRecords"})
    assert len(server.requests) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]  # exponential backoff
    assert str(info.value) == (f"GET {server.url}/oai: HTTP 500 Internal Server Error "
                               "(gave up after 4 attempts)")
    assert info.value.status == 500 and not info.value.connect_failed


def test_404_is_not_retried() -> None:
    clock = FakeClock()
    with ReplayServer(scripted((404, {}, b"nope"))) as server, pytest.raises(FetchError, match="HTTP 404"):
        _fetcher(clock, server.url).get(server.url, {})
    assert len(server.requests) == 1
    assert clock.sleeps == []


def test_polite_delay_between_requests_to_the_same_host() -> None:
    clock = FakeClock()
    with ReplayServer(scripted(OK)) as server, ReplayServer(scripted(OK)) as other:
        fetcher = _fetcher(clock, server.url, other.url, interval={urlsplit(server.url).netloc: 3.0})
        fetcher.get(server.url, {})
        fetcher.get(other.url, {})  # another host: no wait
        clock.now += 1.0  # one second of work between the two arXiv requests
        fetcher.get(server.url, {})
    assert clock.sleeps == [2.0]


def test_polite_delay_also_spaces_retries() -> None:
    clock = FakeClock()
    with ReplayServer(scripted((503, {"Retry-After": "1"}, b""), OK)) as server:
        fetcher = _fetcher(clock, server.url, interval={urlsplit(server.url).netloc: 3.0})
        fetcher.get(server.url, {})
    assert clock.sleeps == [1.0, 2.0]  # Retry-After, then the rest of the 3-second spacing


def test_connection_refused_is_a_connect_failure() -> None:
    clock = FakeClock()
    dead = closed_port_url()
    with pytest.raises(FetchError, match="cannot reach") as info:
        _fetcher(clock, dead, retries=1).get(dead + "/oai", {})
    assert info.value.connect_failed
    assert "gave up after 2 attempts" in str(info.value)
    assert clock.sleeps == [1.0]


def test_unresolvable_host_is_not_retried() -> None:
    """A name that does not resolve (offline, or a typo) fails at once instead of backing off."""
    clock = FakeClock()
    with pytest.raises(FetchError, match="cannot reach") as info:
        _fetcher(clock, retries=3).get("http://paperstand-test.invalid/oai", {})
    assert info.value.connect_failed
    assert "gave up after 1 attempt" in str(info.value)
    assert clock.sleeps == []


def test_timeouts_are_retried_and_reported() -> None:
    def slow(path: str, params: dict[str, str]) -> Reply:
        time.sleep(0.5)
        return OK

    clock = FakeClock()
    with ReplayServer(slow) as server, pytest.raises(FetchError, match="ReadTimeout") as info:
        _fetcher(clock, server.url, retries=1, timeout=0.1).get(server.url, {})
    assert len(server.requests) == 2
    assert not info.value.connect_failed


def test_user_agent_names_paperstand_and_the_instance() -> None:
    settings = Settings(base_url="https://papers.example.org/", arxiv_oai_url="http://127.0.0.1:1/oai")
    assert user_agent(settings) == f"paperstand/{__version__} (+https://papers.example.org)"
    with ReplayServer(scripted(OK)) as server:
        settings = Settings(base_url="https://papers.example.org", arxiv_oai_url=server.url + "/oai",
                            fetch_allow_hosts=allow(server.url))
        fetcher = fetcher_for(settings)
        assert fetcher.intervals == {urlsplit(server.url).netloc: settings.arxiv_delay}
        fetcher.get(server.url + "/oai", {})
        fetcher.close()
    assert server.requests[0].headers["User-Agent"] == user_agent(settings)


@pytest.mark.parametrize(("value", "expected"), [
    ("5", 5.0), (" 12 ", 12.0), ("Thu, 08 Jan 2026 04:00:10 GMT", 10.0),
    ("Thu, 08 Jan 2026 03:00:00 GMT", 0.0), ("soon", None), ("", None), (None, None), ("-3", None),
])
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected
