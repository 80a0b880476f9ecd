"""Where the page cache keeps rendered answers: this process's memory, or a Redis every process shares.

Both stores hold opaque bytes under a string key that already names the data version, so an entry
can never be served for data newer than it was rendered from; stale entries are merely unreachable
and go by LRU eviction (memory) or expiry (Redis). The same stores can hold fragments of pages
(a card, a listing's body) under keys of their own, which is how per-visitor pages can reuse the
parts every visitor shares.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("paperstand.cache")

# How long Redis keeps an entry: old versions' entries are never read again, so they only need to
# outlive the version they belong to; a day also bounds what a forgotten deploy leaves behind.
REDIS_TTL_S = 24 * 3600
# After a Redis error, the cache is skipped (pages render as without it) for this long before retrying.
REDIS_BACKOFF_S = 5.0


@dataclass(frozen=True)
class Entry:
    """One stored answer: status, headers (as ASGI sends them) and body."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def size(self) -> int:
        """Bytes this entry holds (what the memory budget counts)."""
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 64

    def to_bytes(self) -> bytes:
        """A self-describing encoding (JSON head, newline, body): never pickle what another host wrote."""
        head = json.dumps([self.status, [[k.decode("latin-1"), v.decode("latin-1")] for k, v in self.headers]])
        return head.encode() + b"\n" + self.body

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
        """Decode :meth:`to_bytes`; raises ``ValueError`` on anything else."""
        head, sep, body = data.partition(b"\n")
        if not sep:
            raise ValueError("cache entry without a head")
        status, headers = json.loads(head)
        return cls(int(status), [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers], body)


class Store(Protocol):
    """A bounded key-value store of entries."""

    async def get(self, key: str) -> Entry | None:
        """The entry under ``key``, or ``None``."""

    async def put(self, key: str, entry: Entry) -> None:
        """Keep ``entry`` under ``key`` (it may be evicted at any time)."""


class MemoryStore:
    """An LRU of entries bounded by their total size, private to this process.

    Only the event loop touches it (the middleware never hands it to a thread), so it needs no lock.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._entries: OrderedDict[str, Entry] = OrderedDict()

    async def get(self, key: str) -> Entry | None:
        """The entry under ``key`` (now the most recently used), or ``None``."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    async def put(self, key: str, entry: Entry) -> None:
        """Keep ``entry``, evicting the least recently used entries until it fits."""
        if entry.size > self.capacity:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.used -= old.size
        while self._entries and self.used + entry.size > self.capacity:
            _, evicted = self._entries.popitem(last=False)
            self.used -= evicted.size
        self._entries[key] = entry
        self.used += entry.size

    def __len__(self) -> int:
        return len(self._entries)


class RedisStore:
    """Entries in Redis, shared by every ``serve`` process; errors make it a miss, never a failed page."""

    def __init__(self, url: str, *, prefix: str = "paperstand:page:") -> None:
        import redis.asyncio

        self.client: Any = redis.asyncio.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self.prefix = prefix
        self._down_until = 0.0

    async def get(self, key: str) -> Entry | None:
        """The entry under ``key``, or ``None`` (also when Redis is unreachable)."""
        if time.monotonic() < self._down_until:
            return None
        try:
            data = await self.client.get(self.prefix + key)
            return Entry.from_bytes(data) if data is not None else None
        except ValueError:
            return None
        except Exception as exc:  # noqa: BLE001 - a cache outage must only cost speed
            self._failed(exc)
            return None

    async def put(self, key: str, entry: Entry) -> None:
        """Keep ``entry`` for a day; a Redis error is logged and forgotten."""
        if time.monotonic() < self._down_until:
            return
        try:
            await self.client.set(self.prefix + key, entry.to_bytes(), ex=REDIS_TTL_S)
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        if time.monotonic() >= self._down_until:
            log.warning("page cache: Redis unavailable (%s); serving uncached for %.0f s", exc, REDIS_BACKOFF_S)
        self._down_until = time.monotonic() + REDIS_BACKOFF_S
