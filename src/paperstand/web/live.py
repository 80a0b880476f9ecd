"""Live counts: fill every answer's vote markers with the counts of this moment (``community/tallies``).

This pure ASGI middleware sits outside the page cache, so a cached page (rendered once per data version)
still shows a vote cast a moment ago, and a vote stales no cached page. It also owns conditional GETs for
what it changes: an answer whose numbers it filled gets a new strong ``ETag`` (the cached entry's tag plus a
hash of the counts), and ``If-None-Match`` is decided on that tag here. ``If-Modified-Since`` is ignored for
such answers (RFC 9110 §13.1.3 lets a server do so): a vote moves no Last-Modified time.
"""

from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from collections.abc import Callable

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperstand.community.tallies import MARKS_HEADER, Mark, TallyReader, decode_marks, fill, find_marks, has_marks
from paperstand.site.version import SCOPES, VOTES, Versions
from paperstand.web.cache import VERSIONS_SEEN
from paperstand.web.conditional import Validators, conditional, not_modified, parse_http_date
from paperstand.web.turn import TurnCounts, TurnRead

# Only these answers can hold markers; others (static files, feeds) stream through untouched.
_FILLED_TYPES = (b"text/html", b"application/json")
_CONDITIONAL = (b"if-none-match", b"if-modified-since")
_BODY_HEADERS = (b"content-type", b"content-length", b"content-encoding")

# Filled answers kept for reuse while no vote is cast: a page cached with 80 markers costs more to decode
# and fill than the rest of a cache hit, so a hit whose entry and vote counter are unchanged sends the
# bytes filled last time. Bounded by bytes (API pages run to 200 kB); the oldest go first.
MEMO_BYTES = 32 * 1024 * 1024

Counts = Callable[[set[int]], dict[int, int]]
Version = Callable[[], "int | None"]


class FilledMemo:
    """Filled bodies by (the stored entry's ETag, the votes counter): valid until either moves."""

    def __init__(self, budget: int = MEMO_BYTES) -> None:
        self.budget = budget
        self.size = 0
        self._items: OrderedDict[tuple[str, int], tuple[bytes, str]] = OrderedDict()

    def get(self, key: tuple[str, int]) -> tuple[bytes, str] | None:
        """The filled body and its ETag, or None."""
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: tuple[str, int], body: bytes, etag: str) -> None:
        """Keep one filled answer, dropping the least recently used beyond the budget."""
        if len(body) > self.budget // 8 or key in self._items:
            return
        self._items[key] = (body, etag)
        self.size += len(body)
        while self.size > self.budget:
            _, (old, _) = self._items.popitem(last=False)
            self.size -= len(old)


class LiveCounts:
    """ASGI middleware: fill vote markers, and answer conditional GETs on what is finally sent."""

    def __init__(self, app: ASGIApp, *, counts: Counts, version: Version | None = None) -> None:
        self.app = app
        self.memo = FilledMemo()
        # As the page cache's version reads: on the event loop, each paper's count (and the counter) read
        # once per turn of it, for every request that turn serves (``paperstand.web.turn``).
        self._counts = TurnCounts(counts)
        self._version = TurnRead(version) if version is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on (as an unconditional GET for GET/HEAD); fill and revalidate what comes back."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reading = scope["method"] in ("GET", "HEAD")
        inner = scope
        if reading:
            inner = {**scope, "method": "GET",
                     "headers": [(k, v) for k, v in scope["headers"] if k not in _CONDITIONAL]}
        seen: list[Versions] = []
        inner = {**inner, VERSIONS_SEEN: seen}
        answer = _Answer(scope, send, reading, self, seen)
        await self.app(inner, receive, answer)

    async def read_counts(self, papers: set[int]) -> dict[int, int]:
        """The counts of ``papers``; none (every marker shows its base) when the database cannot answer."""
        try:
            return self._counts.get(papers)
        except Exception:  # noqa: BLE001 - a page with stale-free zeros beats no page
            return {}

    async def read_version(self) -> int | None:
        """The votes counter, or None (no reuse of filled answers) when unknown or unreadable."""
        if self._version is None:
            return None
        try:
            return self._version.get()
        except Exception:  # noqa: BLE001 - without the counter, fill afresh
            return None


class _Answer:
    """The ``send`` handed inward: buffers HTML and JSON answers, streams the rest."""

    def __init__(self, scope: Scope, send: Send, reading: bool, owner: LiveCounts, seen: list[Versions]) -> None:
        self.seen = seen  # the data versions the page cache read for this request, if it did
        self.request = Headers(scope=scope)
        self.head = scope["method"] == "HEAD"
        self.send = send
        self.reading = reading
        self.owner = owner
        self.start: Message | None = None
        self.buffering = False
        self.streaming_304 = False
        self.chunks: list[bytes] = []
        self.memo_key: tuple[str, int] | None = None  # where a filled cached answer is kept for reuse

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self._started(message)
        elif message["type"] == "http.response.body":
            await self._body(message)
        else:
            await self.send(message)

    async def _started(self, message: Message) -> None:
        headers = Headers(raw=message.get("headers", []))
        kind = headers.get("content-type", "").encode("latin-1")
        if kind.startswith(_FILLED_TYPES):
            self.start, self.buffering = message, True
            return
        if self.reading and message["status"] == 200 and _revalidated(self.request, headers, honour_date=True):
            self.streaming_304 = True
            await self.send(_not_modified_start(message))
            return
        await self.send(message)

    async def _body(self, message: Message) -> None:
        if self.streaming_304:
            if not message.get("more_body", False):
                await self.send({"type": "http.response.body", "body": b""})
            return
        if not self.buffering:
            if self.head:
                message = {**message, "body": b""}
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            await self._finish()

    async def _finish(self) -> None:
        assert self.start is not None
        start, body = self.start, b"".join(self.chunks)
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        stored = headers.get(MARKS_HEADER)
        reuse = await self._reusable(stored, headers)
        if reuse is not None:
            filled = True
            body, headers["etag"] = reuse
            headers["content-length"] = str(len(body))
            del headers[MARKS_HEADER]
        else:
            body, filled = await self._fill(body, headers)
        if self.reading and start["status"] == 200 and _revalidated(self.request, headers, honour_date=not filled):
            await self.send(_not_modified_start({**start, "headers": headers.raw}))
            await self.send({"type": "http.response.body", "body": b""})
            return
        await self.send({**start, "headers": headers.raw})
        await self.send({"type": "http.response.body", "body": b"" if self.head else body})


    async def _reusable(self, stored: str | None, headers: MutableHeaders) -> tuple[bytes, str] | None:
        """The body and ETag filled last time for this cached entry, if no vote was cast since."""
        etag = headers.get("etag")
        if stored is None or stored == "-" or etag is None:
            return None
        # The votes counter as the page cache read it before the answer was made, else read now (both
        # come before the counts are read, so a kept answer is never older than its key says).
        version = self.seen[0][SCOPES.index(VOTES)] if self.seen else await self.owner.read_version()
        if not version:
            return None
        self.memo_key = (etag, version)
        return self.owner.memo.get(self.memo_key)

    async def _fill(self, body: bytes, headers: MutableHeaders) -> tuple[bytes, bool]:
        """``body`` with its markers filled now (and kept for reuse when it came from the cache)."""
        marks = _stored_marks(headers)
        if marks is None:  # not from the page cache: look
            marks = find_marks(body) if has_marks(body) else []
        if not marks:
            return body, False
        counts = await self.owner.read_counts({paper for _, _, paper, _ in marks})
        body = fill(body, counts, marks)
        headers["content-length"] = str(len(body))
        if "etag" in headers:
            digest = hashlib.blake2b(repr(sorted(counts.items())).encode(), digest_size=8).hexdigest()
            headers["etag"] = headers["etag"].rstrip('"') + f'.{digest}"'
            if self.memo_key is not None:
                self.owner.memo.put(self.memo_key, body, headers["etag"])
        return body, True


def _stored_marks(headers: MutableHeaders) -> list[Mark] | None:
    """The marks the page cache found when it stored this answer (the header is removed), or None."""
    value = headers.get(MARKS_HEADER)
    if value is None:
        return None
    del headers[MARKS_HEADER]
    try:
        return decode_marks(value.encode("latin-1"))
    except ValueError:
        return None


def _revalidated(request: Headers, response: Headers, *, honour_date: bool) -> bool:
    """Whether the client already holds this answer (its ETag, or its Last-Modified when ``honour_date``)."""
    if not conditional(request):
        return False
    etag = response.get("etag")
    modified = response.get("last-modified") if honour_date else None
    if etag is None and modified is None:
        return False
    if etag is None and "if-none-match" in request:
        return False
    validators = Validators(etag or "", parse_http_date(modified) if modified else None)
    if not honour_date and "if-none-match" not in request:
        return False
    return not_modified(request, validators)


def _not_modified_start(message: Message) -> Message:
    raw = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _BODY_HEADERS]
    return {**message, "status": 304, "headers": raw}


def install_live_counts(app: FastAPI) -> None:
    """Put live counts outside the page cache (and inside the rate limits)."""
    reader = TallyReader(app.state.loop_engine)
    app.state.tally_reader = reader
    weakref.finalize(app, reader.close)  # the app's shutdown closes it; an app dropped without one, when collected
    app.add_middleware(LiveCounts, counts=reader.counts, version=reader.votes_version)
