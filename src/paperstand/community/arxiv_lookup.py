"""One paper by arXiv id from arXiv's API, for a submission or a curator's add; and storing it with the pick.

Only an id parsed out of what was typed reaches arXiv (``id_list=<id>`` on the configured API URL):
a URL a member types is never fetched. The request goes through the harvest's fetcher, so its
address guard, size and time limits apply, and arXiv's polite interval (``arxiv_delay``) is kept
between every two lookups of this process. A person is waiting, so a lookup retries once, not like
a harvest.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.errors import DomainError, NotFound
from paperstand.ingest import arxiv_atom
from paperstand.ingest.clean import clean_items
from paperstand.ingest.fetch import Fetcher, FetchError, HttpFetcher, user_agent
from paperstand.ingest.record import PaperRecord, Rejection
from paperstand.papers.models import Paper
from paperstand.papers.store import store_batch
from paperstand.search.sync import sync_database_index

UNREACHABLE = "arXiv could not be reached just now; nothing was stored — try again in a few minutes"
# One retry: a blip is survived, an outage is reported while the person is still looking at the form.
LOOKUP_RETRIES = 1
# Seconds one arXiv request may take before the person is told to try later (the harvest's own
# timeout, 30 s by default, is for a job nobody watches).
LOOKUP_TIMEOUT_S = 15.0
# Longest a request waits for its turn behind other lookups before giving up (each waits arxiv_delay).
QUEUE_WAIT_S = 20.0
# A paper just fetched is reused this long: fifty people submitting the same new paper cost arXiv one request.
REMEMBER_S = 120.0
REMEMBER_MAX = 256


class ArxivUnavailable(DomainError):
    """arXiv did not answer (offline, timeout, HTTP error, an unreadable answer); nothing was stored."""

    status = 503
    title = "arXiv unavailable"
    retry_after = 120  # "try again in a few minutes": a blip has passed by then, and it asks arXiv little


class NotOnArxiv(NotFound):
    """arXiv has no paper with this id."""


class FetchPaper(Protocol):
    """Fetch one paper's record by arXiv id (no version); raise ``NotOnArxiv`` or ``ArxivUnavailable``."""

    def __call__(self, arxiv_id: str) -> PaperRecord:
        """The record arXiv's API gives for ``arxiv_id``."""
        ...


def read_answer(data: bytes, arxiv_id: str) -> PaperRecord:
    """The record for ``arxiv_id`` in an API answer; ``NotOnArxiv`` when the answer names no such paper."""
    for item in clean_items(arxiv_atom.parse(io.BytesIO(data), "arXiv API")):
        if isinstance(item, PaperRecord) and item.arxiv_id == arxiv_id:
            return item
        if isinstance(item, Rejection) and not item.reason.startswith("arXiv API error"):
            raise ArxivUnavailable(UNREACHABLE, hint=f"arXiv's answer could not be read ({item.reason}).")
    # An empty feed, an API error entry ("incorrect id format") or another paper than asked for.
    raise NotOnArxiv(f"arXiv has no paper {arxiv_id}", hint="Check the id on arxiv.org and try again.")


class ArxivLookup:
    """``FetchPaper`` over HTTP: one lookup at a time per process, ``arxiv_delay`` apart, recent answers reused."""

    def __init__(self, settings: Settings, *, fetcher: Fetcher | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = settings.arxiv_api_url
        self.fetcher = fetcher or HttpFetcher(
            timeout=min(settings.http_timeout, LOOKUP_TIMEOUT_S), retries=min(settings.http_retries, LOOKUP_RETRIES),
            agent=user_agent(settings), intervals={urlsplit(self.url).netloc: settings.arxiv_delay},
            clock=clock, sleep=sleep, max_bytes=settings.fetch_max_bytes, max_redirects=settings.fetch_max_redirects,
            max_seconds=min(settings.fetch_max_seconds, LOOKUP_TIMEOUT_S * 2), allow_hosts=settings.fetch_allow_hosts)
        self.clock = clock
        self._turn = threading.Lock()
        self._recent: dict[str, tuple[float, PaperRecord]] = {}

    def __call__(self, arxiv_id: str) -> PaperRecord:
        """The paper's record, fetched (or reused from the last ``REMEMBER_S`` seconds)."""
        if not self._turn.acquire(timeout=QUEUE_WAIT_S):
            raise ArxivUnavailable(UNREACHABLE, hint="Many papers are being looked up on arXiv at the moment.")
        try:
            seen = self._recent.get(arxiv_id)
            if seen is not None and self.clock() - seen[0] < REMEMBER_S:
                return seen[1]
            try:
                data = self.fetcher.get(self.url, {"id_list": arxiv_id, "max_results": "1"})
            except FetchError:
                raise ArxivUnavailable(UNREACHABLE) from None
            record = read_answer(data, arxiv_id)
            self._remember(arxiv_id, record)
            return record
        finally:
            self._turn.release()

    def _remember(self, arxiv_id: str, record: PaperRecord) -> None:
        now = self.clock()
        self._recent = {k: v for k, v in self._recent.items() if now - v[0] < REMEMBER_S}
        if len(self._recent) >= REMEMBER_MAX:
            self._recent.pop(next(iter(self._recent)))
        self._recent[arxiv_id] = (now, record)

    def close(self) -> None:
        """Close the fetcher's connections."""
        self.fetcher.close()


_MAKING = threading.Lock()


def lookup_on(holder: object, settings: Settings) -> FetchPaper:
    """The process's ``ArxivLookup``, kept as ``holder.arxiv_lookup`` (the app's state) and made on first use.

    One per process, so that its turn-taking and polite interval cover every request; a test puts its
    own ``FetchPaper`` there first.
    """
    found: FetchPaper | None = getattr(holder, "arxiv_lookup", None)
    if found is None:
        with _MAKING:
            found = getattr(holder, "arxiv_lookup", None)
            if found is None:
                found = ArxivLookup(settings)
                setattr(holder, "arxiv_lookup", found)  # noqa: B010 (the app's state takes any attribute)
    return found


def stored_paper(session: Session, arxiv_id: str) -> Paper | None:
    """The stored paper with this arXiv id, or ``None``."""
    return session.execute(select(Paper).where(Paper.arxiv_id == arxiv_id)).scalar_one_or_none()


def store_fetched(session: Session, record: PaperRecord, *, now: datetime) -> Paper:
    """Store a fetched record through the import's merge, in the caller's transaction; the paper row.

    SQLite's keyword index (FTS5) is brought up to date in the same transaction, so a rollback takes
    both back; PostgreSQL's index follows the table by itself.
    """
    conn = session.connection()
    store_batch(conn, [record], now)
    sync_database_index(conn)
    paper = stored_paper(session, record.arxiv_id or "")
    if paper is None:  # store_batch stores every record it is given
        raise RuntimeError(f"arxiv_lookup: {record.arxiv_id} was stored but cannot be read back")
    return paper
