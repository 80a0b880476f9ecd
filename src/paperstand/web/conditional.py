"""Conditional GET (RFC 9110 §8.8 and §13): strong ETags, Last-Modified, and ``304 Not Modified``.

One ASGI middleware does it for every route under ``PATHS``, so handlers stay unaware of it. The entity tag
is a hash of the exact bytes sent, which makes it strong by construction (it changes whenever the body
does, whatever the reason: data, templates, version). A handler, or a response cache keyed by a data
version, that already knows its tag sets ``ETag`` itself and the middleware trusts it instead of hashing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

import anyio.to_thread
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Feeds, the Hugging Face-compatible API, and paper (and period) pages: what readers and scripts poll.
PATHS = ("/feeds/", "/api/daily_papers", "/api/papers/", "/papers/")
# Revalidate before every reuse: without it, caches may keep an answer for a tenth of its Last-Modified age.
CACHE_CONTROL = "no-cache"
# Headers a 304 must repeat (RFC 9110 §15.4.5); the body's own metadata (type, length) is dropped.
_DROPPED_ON_304 = ("content-type", "content-length", "content-encoding")
_TAG = re.compile(r'(?:W/)?("[^"]*")')

LastModified = Callable[[Scope], datetime | None]


@dataclass(frozen=True)
class Validators:
    """What a client can revalidate a representation by."""

    etag: str
    last_modified: datetime | None = None


def strong_etag(body: bytes) -> str:
    """A strong entity tag for exactly these bytes."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def http_date(when: datetime) -> str:
    """An IMF-fixdate (``Tue, 11 Mar 2025 08:00:00 GMT``)."""
    return format_datetime(when.astimezone(UTC).replace(microsecond=0), usegmt=True)


def parse_http_date(text: str) -> datetime | None:
    """An HTTP-date in any of its three formats as aware UTC; ``None`` when it is not one."""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _opaque(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


def conditional(headers: Mapping[str, str]) -> bool:
    """Whether a request asks to revalidate (``If-None-Match`` or ``If-Modified-Since``): most do not, and
    then its answer's validators need not be parsed at all."""
    return "if-none-match" in headers or "if-modified-since" in headers


def not_modified(headers: Mapping[str, str], validators: Validators) -> bool:
    """Whether a GET or HEAD with these request headers gets ``304 Not Modified`` (RFC 9110 §13.2.2)."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        # If-None-Match uses the weak comparison, and decides alone: If-Modified-Since is then ignored.
        if if_none_match.strip() == "*":
            return True
        return _opaque(validators.etag) in _TAG.findall(if_none_match)
    since = headers.get("if-modified-since")
    if since is None or validators.last_modified is None:
        return False
    when = parse_http_date(since)
    # HTTP dates have whole seconds: a change within the same second as the client's date counts as seen.
    return when is not None and validators.last_modified.replace(microsecond=0) <= when


class ConditionalGet:
    """ASGI middleware: ETag, Last-Modified and 304 answers for successful GETs under ``PATHS``."""

    def __init__(self, app: ASGIApp, *, last_modified: LastModified) -> None:
        self.app = app
        self.last_modified = last_modified

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass other requests through; buffer a matching 200 answer to tag it."""
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(PATHS):
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _Tagger(self, scope, send))


class _Tagger:
    """The ``send`` of one request: holds a 200 answer's start and body until its tag is known."""

    def __init__(self, middleware: ConditionalGet, scope: Scope, send: Send) -> None:
        self.middleware, self.scope, self.send = middleware, scope, send
        self.start: Message | None = None
        self.passing = False
        self.chunks: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            # Errors, redirects and answers already tagged (static files) go out untouched.
            self.passing = message["status"] != 200 or "etag" in Headers(raw=message["headers"])
            if self.passing:
                await self.send(message)
            else:
                self.start = message
            return
        if self.passing or message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            await self._finish(self.start, b"".join(self.chunks))

    async def _finish(self, start: Message, body: bytes) -> None:
        # Read after the handler ran: a change between the two makes Last-Modified later than the body,
        # which only costs a full answer, never a wrong 304.
        changed = await anyio.to_thread.run_sync(self.middleware.last_modified, self.scope)
        headers = MutableHeaders(scope=start)
        validators = Validators(headers.get("etag") or strong_etag(body), changed)
        headers["ETag"] = validators.etag
        if changed is not None:
            headers["Last-Modified"] = http_date(changed)
        headers.setdefault("Cache-Control", CACHE_CONTROL)
        if not_modified(Headers(scope=self.scope), validators):
            for name in _DROPPED_ON_304:
                del headers[name]
            start = {**start, "status": 304}
            body = b""
        await self.send(start)
        await self.send({"type": "http.response.body", "body": body, "more_body": False})
