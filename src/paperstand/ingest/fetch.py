"""Outgoing HTTP for harvests: retries, backoff, Retry-After and a polite delay per host.

The ``Fetcher`` protocol is what the harvester needs; ``HttpFetcher`` implements it over httpx.
Clock and sleep are injectable so tests can check the waits without waiting.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from paperstand import __version__
from paperstand.config import Settings

# First wait after a failed attempt; each further attempt doubles it (1, 2, 4, 8 s ...).
BACKOFF_BASE = 1.0
# No single backoff wait grows beyond this: a server down for longer is reported, not waited out.
MAX_BACKOFF = 60.0
# A Retry-After beyond this is clamped: we would rather spend a retry than hang a harvest for hours.
MAX_RETRY_AFTER = 120.0
# Statuses that mean "slow down": the server's Retry-After, when given, says for how long.
RATE_LIMITED = frozenset({429, 503})


class FetchError(Exception):
    """A request that failed for good; ``connect_failed`` means the server was never reached."""

    def __init__(self, message: str, *, connect_failed: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.connect_failed = connect_failed
        self.status = status


class Fetcher(Protocol):
    """Fetch a URL's body, retrying as the implementation sees fit; raise ``FetchError`` on failure."""

    def get(self, url: str, params: Mapping[str, str]) -> bytes:
        """The body of a successful GET of ``url`` with query ``params``."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def user_agent(settings: Settings) -> str:
    """Identify ourselves as arXiv asks: name/version and where the instance lives."""
    return f"paperstand/{__version__} (+{settings.effective_base_url})"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); ``None`` if absent or bad."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HttpFetcher:
    """``Fetcher`` over httpx: retries 5xx, 429 and network errors; never other 4xx."""

    def __init__(self, *, timeout: float, retries: int, agent: str,
                 intervals: Mapping[str, float] | None = None,
                 clock: Callable[[], float] | None = None, sleep: Callable[[float], None] | None = None,
                 now: Callable[[], datetime] = _utcnow, transport: httpx.BaseTransport | None = None) -> None:
        self.retries = max(0, retries)
        # Minimum seconds between two requests to a host ("host:port" → seconds).
        self.intervals = dict(intervals or {})
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.now = now
        self._last: dict[str, float] = {}
        self._client = httpx.Client(timeout=timeout, headers={"User-Agent": agent}, follow_redirects=True,
                                    transport=transport)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def get(self, url: str, params: Mapping[str, str]) -> bytes:
        """GET with retries; return the body of the first 2xx answer."""
        host = urlsplit(url).netloc
        failure, wait = FetchError(f"GET {url}: no attempt made"), 0.0
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(wait)
            self._wait_turn(host)
            try:
                response = self._client.get(url, params=dict(params))
            except httpx.TransportError as exc:
                self._last[host] = self.clock()
                connect = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                failure = FetchError(f"GET {url}: cannot reach {host}: {_describe(exc)}",
                                     connect_failed=connect)
                if _name_unresolvable(exc):
                    break  # no DNS answer means no network (or a typo): retrying only makes offline slow
                wait = self._backoff(attempt)
                continue
            self._last[host] = self.clock()
            if response.is_success:
                return response.content
            failure = FetchError(f"GET {url}: HTTP {response.status_code} {response.reason_phrase}".rstrip(),
                                 status=response.status_code)
            if response.status_code < 500 and response.status_code not in RATE_LIMITED:
                raise failure  # a 4xx will not get better by asking again
            wait = self._retry_wait(response, attempt)
        attempts = attempt + 1
        raise FetchError(f"{failure} (gave up after {attempts} attempt{'s' * (attempts > 1)})",
                         connect_failed=failure.connect_failed, status=failure.status)

    def _retry_wait(self, response: httpx.Response, attempt: int) -> float:
        """Retry-After when a rate-limited server gives one, else exponential backoff."""
        if response.status_code in RATE_LIMITED:
            after = parse_retry_after(response.headers.get("Retry-After"), self.now())
            if after is not None:
                return min(after, MAX_RETRY_AFTER)
        return self._backoff(attempt)

    @staticmethod
    def _backoff(attempt: int) -> float:
        return min(BACKOFF_BASE * 2**attempt, MAX_BACKOFF)

    def _wait_turn(self, host: str) -> None:
        """Keep the host's minimum interval since our previous request to it ended."""
        interval, last = self.intervals.get(host, 0.0), self._last.get(host)
        if interval > 0 and last is not None:
            wait = last + interval - self.clock()
            if wait > 0:
                self.sleep(wait)


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def fetcher_for(settings: Settings, *, clock: Callable[[], float] | None = None,
                sleep: Callable[[float], None] | None = None) -> HttpFetcher:
    """The fetcher harvests use: settings' timeout and retries, arXiv's polite delay on its host."""
    return HttpFetcher(timeout=settings.http_timeout, retries=settings.http_retries,
                       agent=user_agent(settings), clock=clock, sleep=sleep,
                       intervals={urlsplit(settings.arxiv_oai_url).netloc: settings.arxiv_delay})


def _name_unresolvable(exc: Exception) -> bool:
    """True when the host name did not resolve (socket.gaierror under httpx's ConnectError)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return True
        cause = cause.__cause__ or cause.__context__
    return "Name or service not known" in str(exc) or "Temporary failure in name resolution" in str(exc)
