"""Outgoing HTTP for harvests: retries, backoff, Retry-After, a polite delay per host, and limits.

Limits: http/https only, at most a few redirects, a capped body, and (in ``fetch_guard``) no
connection to loopback, private, link-local or other non-public addresses.

The ``Fetcher`` protocol is what the harvester needs; ``HttpFetcher`` implements it over httpx.
Clock and sleep are injectable so tests can check the waits without waiting.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import httpx

from paperstand import __version__
from paperstand.config import Settings
from paperstand.ingest.fetch_guard import AddressRefused, GuardedTransport, parse_allow_hosts

# First wait after a failed attempt; each further attempt doubles it (1, 2, 4, 8 s ...).
BACKOFF_BASE = 1.0
# No single backoff wait grows beyond this: a server down for longer is reported, not waited out.
MAX_BACKOFF = 60.0
# A Retry-After beyond this is clamped: we would rather spend a retry than hang a harvest for hours.
MAX_RETRY_AFTER = 120.0
# Statuses that mean "slow down": the server's Retry-After, when given, says for how long.
RATE_LIMITED = frozenset({429, 503})
# An OAI-PMH page or a day of Hugging Face papers is a few MB; 64 MiB is room to spare, not a flood.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# arXiv and Hugging Face redirect once at most (http → https, a moved path); a chain is a loop or a trap.
DEFAULT_MAX_REDIRECTS = 5
# The timeout setting bounds each read; this bounds a whole body, so a server trickling a byte at a
# time cannot hold a harvest forever. 64 MiB in 5 minutes is a slow but working link.
DEFAULT_MAX_SECONDS = 300.0
SCHEMES = ("http", "https")


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
    """``Fetcher`` over httpx: retries 5xx, 429 and network errors; never other 4xx.

    Redirects are followed here, one hop at a time, so each hop's scheme is checked and its
    connection goes through the address guard; bodies are streamed and cut off at ``max_bytes``.
    """

    def __init__(self, *, timeout: float, retries: int, agent: str,
                 intervals: Mapping[str, float] | None = None,
                 clock: Callable[[], float] | None = None, sleep: Callable[[float], None] | None = None,
                 now: Callable[[], datetime] = _utcnow, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_redirects: int = DEFAULT_MAX_REDIRECTS, max_seconds: float = DEFAULT_MAX_SECONDS,
                 allow_hosts: str = "") -> None:
        self.retries = max(0, retries)
        # Minimum seconds between two requests to a host ("host:port" → seconds).
        self.intervals = dict(intervals or {})
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.now = now
        self.max_bytes, self.max_redirects, self.max_seconds = max_bytes, max(0, max_redirects), max_seconds
        self._last: dict[str, float] = {}
        # trust_env=False: an environment proxy would dial for us, out of the guard's sight.
        self._client = httpx.Client(timeout=timeout, headers={"User-Agent": agent}, follow_redirects=False,
                                    trust_env=False, transport=GuardedTransport(parse_allow_hosts(allow_hosts)))

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def get(self, url: str, params: Mapping[str, str]) -> bytes:
        """GET with retries, following redirects; return the body of the first 2xx answer."""
        host = urlsplit(url).netloc
        failure, wait = FetchError(f"GET {url}: no attempt made"), 0.0
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(wait)
            try:
                status, reason, headers, body = self._follow(url, params)
            except httpx.TransportError as exc:
                connect = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                failure = FetchError(f"GET {url}: cannot reach {host}: {_describe(exc)}",
                                     connect_failed=connect)
                if _name_unresolvable(exc):
                    break  # no DNS answer means no network (or a typo): retrying only makes offline slow
                wait = self._backoff(attempt)
                continue
            if body is not None:
                return body
            failure = FetchError(f"GET {url}: HTTP {status} {reason}".rstrip(), status=status)
            if status < 500 and status not in RATE_LIMITED:
                raise failure  # a 4xx will not get better by asking again
            wait = self._retry_wait(status, headers, attempt)
        attempts = attempt + 1
        raise FetchError(f"{failure} (gave up after {attempts} attempt{'s' * (attempts > 1)})",
                         connect_failed=failure.connect_failed, status=failure.status)

    def _follow(self, url: str, params: Mapping[str, str]) -> tuple[int, str, httpx.Headers, bytes | None]:
        """One attempt: follow up to ``max_redirects`` hops; the final status, and its body when 2xx."""
        hop, query = url, dict(params) if params else None
        for _ in range(self.max_redirects + 1):
            _check_scheme(url, hop)
            with self._send(url, hop, query) as response:
                location = response.headers.get("Location")
                if not (response.is_redirect and location):
                    body = self._read(url, response) if response.is_success else None
                    return response.status_code, response.reason_phrase, response.headers, body
            # The Location carries its own query; the original parameters belong to the first hop.
            hop, query = urljoin(hop, location), None
        raise FetchError(f"fetch: {url}: more than {self.max_redirects} redirects (last to {hop})")

    @contextmanager
    def _send(self, url: str, hop: str, query: dict[str, str] | None) -> Iterator[httpx.Response]:
        """Stream one request, keeping the host's polite interval; a guard refusal is a ``FetchError``."""
        host = urlsplit(hop).netloc
        self._wait_turn(host)
        try:
            with self._client.stream("GET", hop, params=query) as response:
                yield response
        except AddressRefused as exc:
            shown = url if hop == url else f"{url} (redirected to {hop})"
            raise FetchError(f"fetch: refusing {shown} → {exc.address}: {exc.reason}") from None
        finally:
            self._last[host] = self.clock()

    def _read(self, url: str, response: httpx.Response) -> bytes:
        """The body, streamed and refused once it grows past ``max_bytes`` (decompressed size counts)
        or takes longer than ``max_seconds``."""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(url)
        # Real time, not the injectable clock: that one stands for polite waits, which tests skip.
        chunks, size, deadline = [], 0, time.monotonic() + self.max_seconds
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_large(url)
            if time.monotonic() > deadline:
                raise FetchError(f"fetch: {url}: response took longer than {self.max_seconds:g} s "
                                 "(PAPERSTAND_FETCH_MAX_SECONDS)")
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, url: str) -> FetchError:
        return FetchError(f"fetch: {url}: response larger than {self.max_bytes} bytes "
                          "(PAPERSTAND_FETCH_MAX_BYTES)")

    def _retry_wait(self, status: int, headers: httpx.Headers, attempt: int) -> float:
        """Retry-After when a rate-limited server gives one, else exponential backoff."""
        if status in RATE_LIMITED:
            after = parse_retry_after(headers.get("Retry-After"), self.now())
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


def _check_scheme(url: str, hop: str) -> None:
    """Only http and https: a redirect to file:, ftp: or gopher: is refused, not attempted."""
    scheme = urlsplit(hop).scheme.lower()
    if scheme not in SCHEMES:
        shown = url if hop == url else f"{url} (redirected to {hop})"
        raise FetchError(f"fetch: refusing {shown}: scheme {scheme or '(none)'!r} is not http or https")


def fetcher_for(settings: Settings, *, clock: Callable[[], float] | None = None,
                sleep: Callable[[float], None] | None = None) -> HttpFetcher:
    """The fetcher harvests use: settings' timeout, retries and limits, arXiv's polite delay on its host."""
    return HttpFetcher(timeout=settings.http_timeout, retries=settings.http_retries,
                       agent=user_agent(settings), clock=clock, sleep=sleep,
                       intervals={urlsplit(settings.arxiv_oai_url).netloc: settings.arxiv_delay},
                       max_bytes=settings.fetch_max_bytes, max_redirects=settings.fetch_max_redirects,
                       max_seconds=settings.fetch_max_seconds,
                       allow_hosts=settings.fetch_allow_hosts)


def _name_unresolvable(exc: Exception) -> bool:
    """True when the host name did not resolve (socket.gaierror under httpx's ConnectError)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return True
        cause = cause.__cause__ or cause.__context__
    return "Name or service not known" in str(exc) or "Temporary failure in name resolution" in str(exc)
