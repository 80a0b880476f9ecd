"""Import files: parse with the right parser, store in batches, and summarise what happened."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO, cast

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from paperstand.ingest.clean import clean_items
from paperstand.ingest.compressed import Decompressed
from paperstand.ingest.formats import UnknownFormat, detect, parser_for, text_problem
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


# Called with the records read so far in this file (papers and rejections) and the byte offset reached in
# the file itself (compressed bytes for an archive), so a caller can estimate the total from the file size.
Progress = Callable[[int, int], None]
# Records between two progress calls: often enough for a smooth rate, rarely enough to cost nothing.
PROGRESS_EVERY = 250
# Bytes of the (decompressed) text looked at to tell the format and whether it is text at all.
HEAD_BYTES = 8192


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
                  keep: Callable[[PaperRecord], bool] | None = None, index: bool = True,
                  index_dir: Path | None = None) -> ImportSummary:
    """Import one open binary stream, plain or compressed; ``name`` is used in messages; ``keep`` drops
    unwanted records.

    ``index_dir`` is the tantivy keyword index to keep current (``search.sync.keyword_index_dir`` of the
    settings' data folder); ``None`` keeps only the database's own index. ``index=False`` leaves the keyword
    indexes for the caller to bring up to date once, after several files (``search.sync.sync_search_indexes``
    with ``summary.changed_ids``).
    """
    summary = summary or ImportSummary()
    raw = stream if hasattr(stream, "peek") else cast(BinaryIO, io.BufferedReader(cast(io.RawIOBase, stream)))
    text = Decompressed(raw)
    parse_as = _format(text, name, fmt, summary)
    new_before, count = summary.new, _Counter(raw, progress)
    if parse_as is not None:
        # Every record is cleaned (and size-checked) here, once, whatever parser produced it.
        items = _featured(clean_items(parser_for(parse_as)(text.stream, name)), featured_on)
        _store(engine, count.through(items), name, summary, keep)
    if text.damage is not None:
        summary.rejected += 1
        summary.rejections.append(f"{name}: the {text.kind} archive is damaged or cut short ({text.damage}); "
                                  "everything before the damage was kept")
    # The keyword indexes catch up once per run, in bulk: see paperstand/search/sync.py.
    if index and (summary.new > new_before or summary.changed_ids):
        sync_search_indexes(engine, summary.changed_ids, index_dir)
    count.report()
    return summary


class _Counter:
    """Counts the records (papers and rejections) going by, and tells ``progress`` now and then."""

    def __init__(self, raw: BinaryIO, progress: Progress | None) -> None:
        self.raw, self.progress, self.read = raw, progress, 0

    def through(self, items: Iterable[ParseItem]) -> Iterator[ParseItem]:
        """Pass ``items`` on, counting them."""
        for item in items:
            if not isinstance(item, Notice):
                self.read += 1
                if self.read % PROGRESS_EVERY == 0:
                    self.report()
            yield item

    def report(self) -> None:
        """Tell ``progress`` the count and the byte offset reached."""
        if self.progress:
            self.progress(self.read, _position(self.raw))


def _store(engine: Engine, items: Iterable[ParseItem], name: str, summary: ImportSummary,
           keep: Callable[[PaperRecord], bool] | None) -> None:
    """Store the records in batches; count and word the rejections and notices."""
    batch: list[PaperRecord] = []
    for item in items:
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
                _flush(engine, batch, summary, summary.changed_ids)
    _flush(engine, batch, summary, summary.changed_ids)


def _format(text: Decompressed, name: str, fmt: str, summary: ImportSummary) -> str | None:
    """The format to parse with, or ``None`` (and a rejection) for a file that is not text or not known."""
    head = text.head(HEAD_BYTES)
    if not head and text.damage is not None:
        return None  # an archive damaged before its first byte of text: the damage is the one message
    problem = text_problem(head)
    if problem is not None:
        summary.rejected += 1
        summary.rejections.append(f"{name}: not a text file ({problem})")
        return None
    if fmt != "auto":
        return fmt
    try:
        return detect(head)
    except UnknownFormat as exc:
        summary.rejected += 1
        summary.rejections.append(f"{name}: cannot tell the format ({exc}); pass --format")
        return None


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
                index: bool = True, index_dir: Path | None = None) -> ImportSummary:
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
                             progress=progress, summary=summary, index=index, index_dir=index_dir)
