"""Import files: parse with the right parser, store in batches, and summarise what happened."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from paperstand.ingest.formats import UnknownFormat, detect, parser_for
from paperstand.ingest.record import Notice, PaperRecord, ParseItem, Rejection
from paperstand.papers.store import store_batch
from paperstand.search.sync import sync_search_indexes

# Records per transaction: large enough to amortise the lookups, small enough that a crash or a
# concurrent writer never waits long, and far below SQLite's bound-parameter limit.
BATCH_SIZE = 2000
# Times a batch is retried after losing a race with a concurrent writer on a unique key.
CONFLICT_RETRIES = 2


@dataclass
class ImportSummary:
    """Totals of one import run, plus every message worth showing."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # Valid records left out by the caller's filter (e.g. a harvest's categories); not in ``total``.
    skipped: int = 0
    rejections: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    # Existing papers this run rewrote, for the search indexes to re-read (new ones are found by id).
    changed_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Records seen, whatever became of them."""
        return self.new + self.updated + self.unchanged + self.rejected


# Called with the byte offset reached in the input, for progress bars.
Progress = Callable[[int], None]


def _featured(items: Iterable[ParseItem], featured_on: date | None) -> Iterator[ParseItem]:
    """Apply ``--featured-on`` and number each day's papers in file order."""
    positions: dict[date, int] = {}
    for item in items:
        if isinstance(item, PaperRecord):
            if featured_on is not None:
                item.featured_on = featured_on
            if item.featured_on is not None and item.position is None:
                positions[item.featured_on] = positions.get(item.featured_on, 0) + 1
                item.position = positions[item.featured_on]
        yield item


def import_stream(engine: Engine, stream: BinaryIO, name: str, fmt: str = "auto", *,
                  featured_on: date | None = None, progress: Progress | None = None,
                  summary: ImportSummary | None = None,
                  keep: Callable[[PaperRecord], bool] | None = None, index: bool = True) -> ImportSummary:
    """Import one open binary stream; ``name`` is used in messages; ``keep`` drops unwanted records.

    ``index=False`` leaves the keyword indexes for the caller to bring up to date once, after several
    files (``search.sync.sync_search_indexes`` with ``summary.changed_ids``).
    """
    summary = summary or ImportSummary()
    if fmt == "auto":
        head = stream.peek(8192) if hasattr(stream, "peek") else b""
        try:
            fmt = detect(head)
        except UnknownFormat as exc:
            summary.rejected += 1
            summary.rejections.append(f"{name}: cannot tell the format ({exc}); pass --format")
            return summary
    batch: list[PaperRecord] = []
    changed = summary.changed_ids
    new_before = summary.new
    for item in _featured(parser_for(fmt)(stream, name), featured_on):
        if isinstance(item, Rejection):
            summary.rejected += 1
            summary.rejections.append(f"{name}: {item.location}: {item.reason}")
        elif isinstance(item, Notice):
            summary.notices.append(f"{name}: {item.location}: {item.message}")
        elif keep is not None and not keep(item):
            summary.skipped += 1
        else:
            batch.append(item)
            if len(batch) >= BATCH_SIZE:
                _flush(engine, batch, summary, changed)
                if progress:
                    progress(_position(stream))
    _flush(engine, batch, summary, changed)
    # The keyword indexes catch up once per run, in bulk: see paperstand/search/sync.py.
    if index and (summary.new > new_before or changed):
        sync_search_indexes(engine, changed)
    if progress:
        progress(_position(stream))
    return summary


def _position(stream: BinaryIO) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


def _flush(engine: Engine, batch: list[PaperRecord], summary: ImportSummary, changed: list[int]) -> None:
    if not batch:
        return
    # One transaction per batch: a failure rolls the whole batch back, never half of it. Another
    # writer (a harvest beside an import) may insert one of our papers between our read and our
    # insert; the unique key stops the duplicate, and a retry reads that paper and merges into it.
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            with engine.begin() as conn:
                result = store_batch(conn, batch)
            break
        except IntegrityError:
            if attempt == CONFLICT_RETRIES:
                raise
    summary.new += result.new
    summary.updated += result.updated
    summary.unchanged += result.unchanged
    changed.extend(result.changed_ids)
    batch.clear()


def import_file(engine: Engine, path: Path, fmt: str = "auto", *, featured_on: date | None = None,
                progress: Progress | None = None, summary: ImportSummary | None = None,
                index: bool = True) -> ImportSummary:
    """Import one file (see ``import_stream``); a missing or unreadable file is a rejection."""
    summary = summary or ImportSummary()
    try:
        stream = path.open("rb")
    except OSError as exc:
        summary.rejected += 1
        summary.rejections.append(f"{path}: cannot open: {exc.strerror or exc}")
        return summary
    with stream:
        return import_stream(engine, stream, str(path), fmt, featured_on=featured_on,
                             progress=progress, summary=summary, index=index)
