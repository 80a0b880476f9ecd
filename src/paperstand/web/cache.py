"""The page cache: answers that are the same for every anonymous visitor, rendered once per data version.

Pages, feeds, API lists and papers, and search results only change when the data does, and every
such write moves the data version (``paperstand.site.version``, kept by database triggers, so a
``paperstand import`` in another shell counts). This pure ASGI middleware sits in front of everything
(routing, dependencies, the other middlewares): a hit costs one version read and a dictionary (or
Redis) lookup, and a write is visible on the very next request of any process, because the version
is part of the key.

What is never cached: methods other than GET and HEAD; paths outside ``CACHED``; requests carrying a
session cookie or credentials (the next issue's logged-in pages); answers other than 200, and any
answer that sets a cookie, says ``private`` or ``no-store`` (every page with a CSRF token does), or
varies by a request header. Logged-in pages are meant to reuse the same cached parts: the stores in
``cache_store`` take any key, so a page that differs per member only in its masthead can keep its
shared fragments (the listing, the cards) under ``fragment_key`` and render only the member's part.

Each entry carries ``ETag: "v<version>-<hash of its body>"``: strong (different bytes, different tag),
equal in every process that rendered the same data, and new after every write. ``If-None-Match`` and
``If-Modified-Since`` are answered from the entry (304), and HEAD gets the entry without its body.

With several ``serve`` processes, each has its own memory store (every process renders a page once per
version), or all share Redis; either way the version comes from the database, so no process can serve
an answer older than the newest commit it could see.
"""

from __future__ import annotations

import hashlib
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

import anyio
from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperstand import __version__
from paperstand.community.tallies import MARKS_HEADER, encode_marks, find_marks
from paperstand.config import Settings
from paperstand.site.version import ALL, ARXIV, FEATURED, SCOPES, TRENDING, VersionReader, Versions
from paperstand.web.cache_store import Entry, MemoryStore, RedisStore, Store
from paperstand.web.conditional import CACHE_CONTROL, Validators, conditional, not_modified, parse_http_date
from paperstand.web.turn import TurnRead

log = logging.getLogger("paperstand.cache")

# Exact paths and prefixes whose GET answers are the same for every anonymous visitor. Forms
# (/subscribe, /preferences, /unsubscribe), /docs and /static are left out on purpose.
CACHED_EXACT = frozenset({"/", "/search", "/arxiv"})
CACHED_PREFIXES = ("/papers/", "/arxiv/", "/feeds/", "/api/daily_papers", "/api/papers/")
# Feeds name their own address (``atom:link rel="self"``) byte for byte, so their query is kept as sent.
RAW_QUERY_PREFIXES = ("/feeds/",)
# Cookies that make a request someone's: the next issue's login session. The CSRF cookie does not:
# pages that print its token are never stored, and every other page is the same with or without it.
SESSION_COOKIES = ("ps_session",)
# Request headers the key ignores but a miss must not pass on: the inner stack would answer 304 to
# one client, and the cache needs the full answer to store.
_CONDITIONAL = (b"if-none-match", b"if-modified-since")
# Headers a 304 leaves out (RFC 9110 §15.4.5): those that describe the omitted body.
_BODY_HEADERS = (b"content-type", b"content-length", b"content-encoding")
# The largest single answer kept: a quarter of the budget, so one huge API page cannot flush the rest.
ENTRY_SHARE = 4
MIB = 1 << 20


def normalized_query(raw: bytes) -> bytes:
    """The query with its parameters in name order (values of one name keep their order).

    Sorting is by decoded name, stably, so ``b=2&a=1`` and ``a=1&b=2`` share an entry while
    ``q=1&%71=2`` (two values of ``q``) keeps the order that decides which value comes first.
    """
    parts = [p for p in raw.split(b"&") if p]
    parts.sort(key=lambda p: unquote_plus(p.partition(b"=")[0].decode("latin-1")))
    return b"&".join(parts)


# Which counters (``site.version``) each family of pages depends on; the first matching rule decides.
# Featured lists show only featured papers (their rows, picks, submitters; the Top order moves with their
# votes) and the newest arXiv day; trending follows the scores; papers, search and arXiv listings follow
# every write but votes, whose numbers the live-counts layer fills in. Anything else (feeds, Markdown,
# whatever is added later) depends on every counter, which is always correct.
_FEATURED_LISTS = (FEATURED, ARXIV)
SCOPE_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]], ...] = (
    (("/",), ("/papers/date/", "/papers/week/", "/papers/month/", "/api/daily_papers"), _FEATURED_LISTS),
    ((), ("/papers/trending", "/feeds/trending"), (ALL, TRENDING)),
    ((), ("/feeds/",), SCOPES),
    (("/search", "/arxiv", "/api/papers/search"), ("/arxiv/", "/api/papers/", "/papers/"), (ALL,)),
)


def page_scopes(path: str) -> tuple[int, ...]:
    """The counters an answer at ``path`` depends on."""
    if path.endswith(".md"):
        return SCOPES  # Markdown prints its vote count as plain text: no marker to fill
    for exact, prefixes, scopes in SCOPE_RULES:
        if path in exact or path.startswith(prefixes):
            return scopes
    return SCOPES


def version_label(path: str, versions: Versions) -> str:
    """The part of a key (and ETag) naming the counters ``path`` depends on, e.g. ``2.5`` or ``1-7``."""
    return ".".join(str(versions[SCOPES.index(scope)]) for scope in page_scopes(path))


def cacheable_path(path: str) -> bool:
    """Whether GETs of ``path`` are the same for every anonymous visitor."""
    return path in CACHED_EXACT or path.startswith(CACHED_PREFIXES)


def request_key(scope: Scope) -> str:
    """What identifies an answer: scheme, host, path and (normalised) query; HEAD shares GET's entry."""
    path: str = scope["path"]
    raw: bytes = scope.get("query_string", b"")
    query = raw if path.startswith(RAW_QUERY_PREFIXES) else normalized_query(raw)
    host = Headers(scope=scope).get("host", "")
    text = f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}{path}?{query.decode('latin-1')}"
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def fragment_key(version: int, name: str) -> str:
    """The key of a shared page part (``name``: e.g. ``card:2503.00201``) at data version ``version``."""
    return f"{__version__}:{version}:fragment:{name}"



def bypasses(scope: Scope) -> bool:
    """Whether this request is someone's (a session or credentials), so it must skip the cache."""
    headers = Headers(scope=scope)
    if "authorization" in headers:
        return True
    cookie = headers.get("cookie", "")
    return any(f"{name}=" in cookie for name in SESSION_COOKIES)


def storable(entry: Entry) -> bool:
    """Whether an answer is the same for everyone: a 200 without cookies, privacy or a ``Vary``."""
    if entry.status != 200:
        return False
    headers = Headers(raw=entry.headers)
    control = headers.get("cache-control", "").lower()
    return ("set-cookie" not in headers and "vary" not in headers
            and "private" not in control and "no-store" not in control)


def tagged(entry: Entry, version: str) -> Entry:
    """``entry`` with the version's ``ETag``, revalidation required, and ``X-Cache: miss``."""
    headers = MutableHeaders(raw=list(entry.headers))
    digest = hashlib.blake2b(entry.body, digest_size=12).hexdigest()
    headers["ETag"] = f'"v{version}-{digest}"'
    # Found once here, so that a hit fills its vote counts without scanning the body (``web/live.py``).
    headers[MARKS_HEADER] = encode_marks(find_marks(entry.body)).decode()
    headers.setdefault("Cache-Control", CACHE_CONTROL)
    return Entry(entry.status, headers.raw, entry.body)


@dataclass
class _Capture:
    """The ``send`` of a miss: gathers the whole answer instead of sending it."""

    start: Message | None = None
    chunks: list[bytes] = field(default_factory=list)

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    def entry(self) -> Entry:
        """What was sent, as one entry."""
        assert self.start is not None, "the app sent no answer"
        return Entry(self.start["status"], list(self.start.get("headers", [])), b"".join(self.chunks))


async def _send_entry(entry: Entry, scope: Scope, send: Send, state: bytes) -> None:
    """Send ``entry`` as the answer to ``scope``: 304 when the client holds it, no body for HEAD."""
    headers = Headers(raw=entry.headers)
    status, raw, body = entry.status, list(entry.headers), entry.body
    etag = headers.get("etag")
    request = Headers(scope=scope)
    if status == 200 and etag and conditional(request):
        modified = headers.get("last-modified")
        validators = Validators(etag, parse_http_date(modified) if modified else None)
        if not_modified(request, validators):
            status, body = 304, b""
            raw = [(k, v) for k, v in raw if k.lower() not in _BODY_HEADERS]
    if state:
        raw.append((b"x-cache", state))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


# Where an outer layer may ask for the versions this request was served under (a list the cache appends to).
VERSIONS_SEEN = "paperstand.versions_seen"


class PageCache:
    """ASGI middleware: serve anonymous GET/HEAD answers from ``store`` under the current data version."""

    def __init__(self, app: ASGIApp, *, store: Store, version: Callable[[], Versions],
                 max_entry: int, volatile: Callable[[Scope], bool] = lambda _scope: False) -> None:
        self.app = app
        self.volatile = volatile
        self.store = store
        self.max_entry = max_entry
        # Asked on the event loop, once per turn of it (``paperstand.web.turn``): a read costs less than a
        # thread hop, and one serves every request of the turn.
        self._versions = TurnRead(version)
        self._inflight: dict[str, anyio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer from the cache when the request allows it; otherwise pass it through untouched."""
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD")
                or not cacheable_path(scope["path"]) or bypasses(scope) or self.volatile(scope)):
            await self.app(scope, receive, send)
            return
        versions = await self._read_version()
        if versions is None:
            await self.app(scope, receive, send)
            return
        seen = scope.get(VERSIONS_SEEN)
        if isinstance(seen, list):  # the live-counts layer outside reuses them: no second read per request
            seen.append(versions)
        version = version_label(scope["path"], versions)
        key = f"{__version__}:{version}:{request_key(scope)}"
        entry = await self._lookup(key)
        if entry is not None:
            await _send_entry(entry, scope, send, b"hit")
            return
        await self._miss(scope, receive, send, key, version)

    async def _read_version(self) -> Versions | None:
        try:
            return self._versions.get()
        except Exception as exc:  # noqa: BLE001 - no version, no cache: the page renders as without it
            log.debug("page cache: data version unavailable (%s)", exc)
            return None

    async def _lookup(self, key: str) -> Entry | None:
        """The stored entry; while another request renders the same key, wait for it instead of rendering too."""
        entry = await self.store.get(key)
        if entry is None and key in self._inflight:
            await self._inflight[key].wait()
            entry = await self.store.get(key)
        return entry

    async def _miss(self, scope: Scope, receive: Receive, send: Send, key: str, version: str) -> None:
        """Render once (as GET, unconditionally), store what everyone may share, answer this request."""
        # Only the first request for a key registers; one that raced it (a Redis lookup yields) renders too.
        done = anyio.Event()
        leading = self._inflight.setdefault(key, done) is done
        try:
            inner = {**scope, "method": "GET",
                     "headers": [(k, v) for k, v in scope["headers"] if k not in _CONDITIONAL]}
            capture = _Capture()
            await self.app(inner, receive, capture)
            entry = capture.entry()
            if storable(entry) and entry.size <= self.max_entry:
                entry = tagged(entry, version)
                await self.store.put(key, entry)
                await _send_entry(entry, scope, send, b"miss")
            else:
                await _send_entry(entry, scope, send, b"")
        finally:
            if leading:
                del self._inflight[key]
                done.set()


def make_store(settings: Settings) -> Store:
    """Redis when one is configured, else this process's memory, bounded by ``page_cache_mb``."""
    url = settings.effective_redis_url
    if url:
        return RedisStore(url)
    return MemoryStore(settings.page_cache_mb * MIB)


def harvest_running(scope: Scope) -> bool:
    """The front page while the first harvest runs: its progress line changes with no write to key by."""
    if scope["path"] != "/":
        return False
    thread = getattr(scope["app"].state, "harvest_thread", None) if "app" in scope else None
    return thread is not None and bool(thread.is_alive())


def install_page_cache(app: FastAPI) -> None:
    """Put the page cache in front of ``app`` (outermost, so a hit skips every other layer)."""
    settings: Settings = app.state.settings
    if settings.page_cache_mb <= 0:
        return
    reader = VersionReader(app.state.loop_engine)
    app.state.version_reader = reader
    # The app's shutdown closes the reader's connection; an app dropped without one closes it when collected.
    weakref.finalize(app, reader.close)
    app.add_middleware(PageCache, store=make_store(settings), version=reader.read,
                       max_entry=settings.page_cache_mb * MIB // ENTRY_SHARE, volatile=harvest_running)
