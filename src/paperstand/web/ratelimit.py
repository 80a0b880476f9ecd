"""Rate limits: each client address gets an allowance per route class, each email address one for mail.

One ASGI middleware counts every request (static files aside) against its class before the app sees
it, so a flood costs a counter increment per request, not a page render. Forms that send mail also
call ``limit_address`` with the address they would mail, since one client can rotate addresses it
sends from (the ``forms`` class), and many clients can target one inbox (the ``mail`` class).

Counts live in Redis when one is configured, so every process and machine shares them; otherwise
in this process's memory. Limits are a courtesy to everyone else, never a reason to fail: when Redis
is down, requests pass uncounted and the outage is logged once.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import Response
from limits import RateLimitItem
from limits.aio.storage import RedisStorage as AsyncRedisStorage
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperstand.config import IPNetwork, RateLimitPolicy, Settings
from paperstand.errors import DomainError
from paperstand.web.errors import error_response
from paperstand.web.security import headers_for

log = logging.getLogger("paperstand.ratelimit")
# The ``limits`` storages with sliding-window counters (its "sliding window counter" strategy): the
# counts of the current and the previous window, the previous weighted by how much of it is left.
Counters = MemoryStorage | RedisStorage
AsyncCounters = AsyncRedisStorage

# Files that a page pulls in come with the page: counting them would spend a reader's allowance on
# stylesheets. /docs itself is a page; its Swagger assets are files.
EXEMPT_PREFIXES = ("/static/", "/docs/assets/")
# Search runs the query engine, so it has its own, smaller allowance on every surface it has.
SEARCH_PATHS = ("/search", "/api/papers/search", "/feeds/search.")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# After Redis fails, requests pass uncounted for this many seconds before it is tried again, so an
# outage costs one failed connection per interval rather than a timeout on every request.
STORAGE_RETRY_AFTER = 5.0
# Redis on the network must answer fast or not at all: a slow counter would slow every page.
REDIS_TIMEOUT = 0.5  # seconds
KEY_PREFIX = "paperstand:ratelimit"


def route_class(method: str, path: str) -> str | None:
    """The class whose allowance a request spends, or ``None`` for the files pages load."""
    if path.startswith(EXEMPT_PREFIXES):
        return None
    if method not in READ_METHODS:
        return "forms"
    if path.startswith(SEARCH_PATHS):
        return "search"
    if path.startswith("/feeds/"):
        return "feeds"
    if path.startswith("/api/") or path == "/openapi.json":
        return "api"
    return "pages"


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[IPNetwork]) -> str:
    """The address a request counts against: the peer, or the client a trusted proxy names.

    ``X-Forwarded-For`` is read right to left, each proxy having appended the address it saw: the
    first address that is not itself a trusted proxy is the client. Anything left of it was written
    by the client and proves nothing.
    """
    address = peer or "unknown"
    if not forwarded_for or not trusted or not _trusted(address, trusted):
        return address
    for hop in reversed(forwarded_for.split(",")):
        hop = hop.strip()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a proxy wrote nonsense: count the last hop that can be believed
        address = hop
        if not _trusted(hop, trusted):
            break
    return address


def _trusted(address: str, trusted: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_key(address: str) -> str:
    """The key an address is counted under: IPv6 by its /64, which one subscriber usually holds whole."""
    if ":" not in address:
        return address
    try:
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address) + "/64"
    except ValueError:
        return address


def address_key(address: str) -> str:
    """An email address as a counter key: trimmed, lower-cased and hashed (no addresses in Redis)."""
    return hashlib.sha256(address.strip().lower().encode("utf-8", "replace")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of spending one request of an allowance, and what the RateLimit headers say."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # seconds until the window frees a request
    policy: str  # RateLimit-Policy: "120;w=60", one entry per limit of the class

    def headers(self) -> list[tuple[bytes, bytes]]:
        """``RateLimit-*`` (IETF draft names), plus ``Retry-After`` when the request is refused."""
        out = [(b"ratelimit-limit", str(self.limit).encode()),
               (b"ratelimit-remaining", str(self.remaining).encode()),
               (b"ratelimit-reset", str(self.reset_after).encode()),
               (b"ratelimit-policy", self.policy.encode())]
        if not self.allowed:
            out.append((b"retry-after", str(self.reset_after).encode()))
        return out


def policy_header(items: Sequence[RateLimitItem]) -> str:
    """``RateLimit-Policy`` for a class: ``120;w=60``, one entry per limit."""
    return ", ".join(f"{item.amount};w={item.get_expiry()}" for item in items)


def verdict(items: Sequence[RateLimitItem], results: Sequence[tuple[bool, float, int]], now: float,
            policy: str) -> Verdict:
    """Combine each limit's (allowed, reset time, remaining) into one verdict: the tightest one speaks."""
    if len(results) == 1:  # the usual case, kept cheap: it runs on every request
        pick, allowed = 0, results[0][0]
    else:
        refused = [i for i, (ok, _, _) in enumerate(results) if not ok]
        allowed = not refused
        # The refusing limit that frees up last, or else the limit closest to running out.
        pick = (max(refused, key=lambda i: results[i][1]) if refused
                else min(range(len(items)), key=lambda i: results[i][2]))
    _, reset_at, remaining = results[pick]
    return Verdict(allowed, items[pick].amount, max(0, remaining), max(1, math.ceil(reset_at - now)), policy)


def _storage_uris(redis_url: str) -> tuple[str, str]:
    """The sync and async ``limits`` storage URIs for a ``redis://``, ``rediss://`` or ``unix://`` URL."""
    scheme, _, rest = redis_url.partition("://")
    sync_scheme = "redis+unix" if scheme == "unix" else scheme
    return f"{sync_scheme}://{rest}", f"async+{sync_scheme}://{rest}"


def window_state(item: RateLimitItem, window: tuple[int, float, int, float], now: float) -> tuple[float, int]:
    """(reset time, remaining) from a sliding-window counter's (previous count, its TTL, current count, its TTL).

    The same arithmetic as ``limits``' own ``get_window_stats``, done on the window that one storage
    read returned instead of a second read: this runs on every request.
    """
    previous, previous_ttl, current, current_ttl = window
    expiry = item.get_expiry()
    remaining = max(0, item.amount - math.floor(previous * previous_ttl / expiry + current))
    if not (previous or current):
        return now, remaining
    previous_reset = previous_ttl % (expiry / previous) if previous else math.inf
    current_reset = current_ttl % expiry if current else math.inf
    return now + min(previous_reset, current_reset), remaining


class Throttle:
    """Spends allowances from the configured policy, in Redis or in memory, failing open."""

    def __init__(self, policy: RateLimitPolicy, redis_url: str | None) -> None:
        self.policy = policy
        self._policy_text = {kind: policy_header(items) for kind, items in policy.items()}
        self._async: AsyncCounters | None = None
        self._where = "memory"
        self._sync: Counters
        if redis_url:
            sync_uri, async_uri = _storage_uris(redis_url)
            self._where = redis_url
            self._sync = RedisStorage(sync_uri, wrap_exceptions=True, key_prefix=KEY_PREFIX,
                                      socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
            self._async = AsyncRedisStorage(async_uri, wrap_exceptions=True, implementation="redispy",
                                            key_prefix=KEY_PREFIX, socket_connect_timeout=REDIS_TIMEOUT,
                                            socket_timeout=REDIS_TIMEOUT)
        else:
            self._sync = MemoryStorage()
        self._down_until = 0.0  # monotonic time before which the storage is not tried again
        self._down = False

    @property
    def limits_routes(self) -> bool:
        """Whether any route class is limited (else the middleware need not be installed)."""
        return any(kind in self.policy for kind in ("pages", "api", "feeds", "search", "forms"))

    def check_now(self, kind: str, key: str) -> Verdict | None:
        """Spend one request of ``kind`` for ``key``, blocking; ``None`` when unlimited or uncounted."""
        items = self.policy.get(kind)
        if not items or self._resting():
            return None
        results = []
        now = time.time()
        try:
            for item in items:
                name, expiry = item.key_for(kind, key), item.get_expiry()
                allowed = self._sync.acquire_sliding_window_entry(name, item.amount, expiry)
                results.append((allowed, *window_state(item, self._sync.get_sliding_window(name, expiry), now)))
        except StorageError as exc:
            self._failed(exc)
            return None
        self._recovered()
        return verdict(items, results, now, self._policy_text[kind])

    async def check(self, kind: str, key: str) -> Verdict | None:
        """As ``check_now``, without blocking the event loop on Redis (memory needs no waiting)."""
        if self._async is None:
            return self.check_now(kind, key)
        items = self.policy.get(kind)
        if not items or self._resting():
            return None
        results = []
        now = time.time()
        try:
            for item in items:
                name, expiry = item.key_for(kind, key), item.get_expiry()
                allowed = await self._async.acquire_sliding_window_entry(name, item.amount, expiry)
                window = await self._async.get_sliding_window(name, expiry)
                results.append((allowed, *window_state(item, window, now)))
        except StorageError as exc:
            self._failed(exc)
            return None
        self._recovered()
        return verdict(items, results, now, self._policy_text[kind])

    def _resting(self) -> bool:
        return self._down and time.monotonic() < self._down_until

    def _failed(self, exc: Exception) -> None:
        if not self._down:
            log.warning("rate limits: %s is unreachable (%s); requests pass uncounted until it answers",
                        self._where, exc)
        self._down = True
        self._down_until = time.monotonic() + STORAGE_RETRY_AFTER

    def _recovered(self) -> None:
        if self._down:
            self._down = False
            log.warning("rate limits: %s answers again; counting resumes", self._where)


class RateLimitMiddleware:
    """Refuse a client over its class's allowance with 429; tag every counted answer with RateLimit-*."""

    def __init__(self, app: ASGIApp, throttle: Throttle, trusted: Sequence[IPNetwork]) -> None:
        self.app = app
        self.throttle = throttle
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request; answer 429 past the limit, else pass it on and add the headers."""
        kind = route_class(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        peer = scope["client"][0] if scope.get("client") else None
        forwarded = _header(scope, b"x-forwarded-for") if self.trusted else None
        found = await self.throttle.check(kind, client_key(client_address(peer, forwarded, self.trusted)))
        if found is None:
            await self.app(scope, receive, send)
            return
        if not found.allowed:
            await too_many_requests(Request(scope), found, kind)(scope, receive, send)
            return
        extra = found.headers()

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, tagged)


def _header(scope: Scope, name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in scope["headers"] if k == name]
    return ",".join(values) if values else None  # several X-Forwarded-For lines read as one list


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


ROUTE_MESSAGES = {
    "forms": "This address has sent more forms than this site accepts in a short time.",
    "search": "This address has run more searches than this site answers in a short time.",
}


def too_many_requests(request: Request, found: Verdict, kind: str) -> Response:
    """The 429 answer: the JSON error shape under /api/, the error page elsewhere, with every header."""
    message = ROUTE_MESSAGES.get(kind, "This address has sent more requests than this site answers in a short time.")
    hint = (f"Please wait {_wait_text(found.reset_after)} and try again. Scripts and feed readers: the "
            "RateLimit-Remaining and Retry-After headers say how many requests are left and when to come back.")
    response = error_response(request, 429, "Too many requests", message, hint)
    return _with_headers(response, request.url.path, found)


def _with_headers(response: Response, path: str, found: Verdict) -> Response:
    # Answered outside the security-headers middleware, so the headers are set here, as on the 500 page.
    for name, value in headers_for(path, response.headers.get("content-type", "")).items():
        response.headers.setdefault(name, value)
    response.raw_headers.extend(found.headers())
    return response


class AddressLimited(DomainError):
    """Too many requests for one email address: the form would mail it more than the allowance."""

    status = 429
    title = "Too many requests"

    def __init__(self, found: Verdict) -> None:
        super().__init__("We have already sent several messages to this address recently.",
                         hint=f"Please check your inbox (and spam folder), or try again in "
                         f"{_wait_text(found.reset_after)}.")
        self.verdict = found


def limit_address(request: Request, kind: str, address: str) -> None:
    """Spend one of ``address``'s ``kind`` allowance (e.g. ``"mail"``); raise ``AddressLimited`` when spent.

    Blocking: call it from a route that runs in the thread pool (a plain ``def``). A value that is
    no address at all (blank, no ``@``) spends nothing: the form's own check answers it.
    """
    if "@" not in address:
        return
    throttle: Throttle = request.app.state.throttle
    found = throttle.check_now(kind, address_key(address))
    if found is not None and not found.allowed:
        raise AddressLimited(found)


async def _address_limited(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AddressLimited)
    response = error_response(request, exc.status, exc.title, exc.message, exc.hint)
    response.raw_headers.extend(exc.verdict.headers())
    return response


def install(app: FastAPI, settings: Settings) -> None:
    """Keep a ``Throttle`` in ``app.state`` and add the middleware when any route class is limited."""
    throttle = Throttle(settings.rate_limit_policy, settings.effective_redis_url)
    app.state.throttle = throttle
    app.add_exception_handler(AddressLimited, _address_limited)
    if throttle.limits_routes:
        # Added last, so it runs first: a refused request costs no database query or render.
        app.add_middleware(RateLimitMiddleware, throttle=throttle, trusted=settings.trusted_proxy_networks)

