"""Failed logins counted per account and per client address, in a moving window (RELIABILITY 10).

Past the limit every attempt is refused (429 with Retry-After) until the oldest failure leaves the window;
nothing is ever locked for good, so an attacker can slow an account down but never shut its owner out.
This is a security control, not a courtesy like the site's rate limits: it has its own setting, it counts
even where those are off, and when Redis is unreachable it counts in this process's memory instead.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Sequence
from typing import Protocol

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger("paperstand.accounts")

DEFAULT_LIMIT = "10 per 5 minutes"
KEY_PREFIX = "paperstand:login"
REDIS_TIMEOUT = 0.5  # seconds: a slow counter would slow every login


class Attempts(Protocol):
    """What ``accounts.service.login`` needs of a throttle."""

    def retry_after(self, keys: Sequence[str]) -> int | None:
        """Seconds until any of ``keys`` may try again, or ``None`` when all may try now."""

    def failed(self, keys: Sequence[str]) -> None:
        """Count one failure against each of ``keys``."""


def account_key(text: str) -> str:
    """A counter key for an account or a login name, hashed so no address is stored in Redis."""
    return "a:" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


def address_key(client: str) -> str:
    """A counter key for a client address."""
    return "ip:" + client


def parse_limit(text: str) -> RateLimitItem:
    """``10 per 5 minutes`` as a limit item; ``ValueError`` naming the setting otherwise."""
    try:
        item = parse(text)
    except ValueError:
        raise ValueError(f"PAPERSTAND_LOGIN_FAILURES: {text!r} is not a limit; write it like "
                         f"{DEFAULT_LIMIT!r}") from None
    if item.amount < 1:
        raise ValueError(f"PAPERSTAND_LOGIN_FAILURES: {text!r} allows no attempt at all")
    return item


class LoginThrottle:
    """Moving-window failure counters in Redis (shared by every process) or in memory."""

    def __init__(self, limit: RateLimitItem, redis_url: str | None = None) -> None:
        self.limit = limit
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        self._lock = threading.Lock()
        self._down_until = 0.0
        if redis_url:
            scheme, _, rest = redis_url.partition("://")
            uri = f"{'redis+unix' if scheme == 'unix' else scheme}://{rest}"
            self._shared = MovingWindowRateLimiter(RedisStorage(
                uri, wrap_exceptions=True, key_prefix=KEY_PREFIX, socket_connect_timeout=REDIS_TIMEOUT,
                socket_timeout=REDIS_TIMEOUT))

    def retry_after(self, keys: Sequence[str]) -> int | None:
        """Seconds until the most limited of ``keys`` frees an attempt, or ``None`` when all are under the limit."""
        waits = []
        now = time.time()
        for key in keys:
            limiter = self._limiter()
            try:
                if limiter.test(self.limit, key):
                    continue
                reset = limiter.get_window_stats(self.limit, key).reset_time
            except StorageError as exc:
                self._fell_back(exc)
                return self.retry_after(keys)
            waits.append(max(1, math.ceil(reset - now)))
        return max(waits) if waits else None

    def failed(self, keys: Sequence[str]) -> None:
        """Count a failure against each key."""
        for key in keys:
            limiter = self._limiter()
            try:
                limiter.hit(self.limit, key)
            except StorageError as exc:
                self._fell_back(exc)
                self._memory.hit(self.limit, key)

    def _limiter(self) -> MovingWindowRateLimiter:
        if self._shared is not None and time.monotonic() >= self._down_until:
            return self._shared
        return self._memory

    def _fell_back(self, exc: Exception) -> None:
        # Counting in memory for a while, rather than not at all: each process then allows the limit on its own.
        with self._lock:
            if time.monotonic() >= self._down_until:
                log.warning("login throttle: Redis is unreachable (%s); counting in memory for 30 s", exc)
            self._down_until = time.monotonic() + 30
