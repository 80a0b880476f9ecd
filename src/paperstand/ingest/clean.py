"""Text at the door: the one normaliser every imported record goes through, and the size caps it enforces.

Every parser's records pass :func:`clean_items` on their way to the store (see ``ingest.run``), so the
rules hold for every source: text is NFC; C0 and C1 control characters are removed except tab and line
feed (a carriage return becomes a line feed); lone surrogates become U+FFFD; U+FFFE and U+FFFF, which
are not characters and which XML cannot hold, are removed. NUL is a C0 control, so it is gone as well
(PostgreSQL refuses it in text). A field longer than its cap rejects the whole record, naming the
field: a cut-off abstract would be stored as if it were the real one.

The caps are far above what real papers carry. Measured over the real arXiv and Hugging Face samples
(23,730 papers): the longest title has 216 characters, abstract 2,776 (arXiv's form allows 1,920 today;
older abstracts run longer), author name 145, author list 671 (collaboration papers reach about 5,200),
comments 414, journal reference 175, URL 85, categories 7 per paper of at most 18 characters, AI summary
275, AI keywords 24 of at most 42 characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from paperstand.ingest.record import PaperRecord, ParseItem, Rejection

# Most characters a text field may hold: roughly ten times the longest real value, and more for free text.
FIELD_LIMITS: dict[str, int] = {
    "title": 1_000,
    "abstract": 20_000,
    "comments": 5_000,
    "journal_ref": 1_000,
    "doi": 500,
    "license": 500,
    "pdf_url": 2_000,
    "github_repo": 2_000,
    "project_page": 2_000,
    "thumbnail": 2_000,
    "ai_summary": 5_000,
    "discussion_id": 200,
    "submitted_by": 200,
    "submitted_by_name": 500,
}
# List fields: (most items, most characters per item).
LIST_LIMITS: dict[str, tuple[int, int]] = {
    "authors": (10_000, 500),
    "categories": (50, 100),
    "ai_keywords": (200, 200),
}
# A JSON field (a Hugging Face organization): most strings and numbers in it, and most nesting.
JSON_ITEMS, JSON_DEPTH = 200, 5
JSON_TEXT_LIMIT = 2_000
# A JSON-lines line longer than this is rejected before it is decoded: no valid record comes near it
# (a 5,000-author snapshot line is about 400 kB), and decoding it would hold it in memory twice more.
MAX_LINE_BYTES = 4 * 1024 * 1024

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_SURROGATES = re.compile("[\ud800-\udfff]")


class TooLong(ValueError):
    """A field over its cap; the message names the field, its length and the cap."""


def clean_chars(value: str) -> str:
    """``value`` as NFC with control characters (but tab and line feed) and non-characters removed."""
    # Each step is a C-speed scan first; almost every value needs none of the rewrites.
    if _SURROGATES.search(value):
        value = _SURROGATES.sub("\ufffd", value)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROLS.search(value):
        value = _CONTROLS.sub("", value)
    if not value.isascii() and not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return value


def capped(field: str, value: str, limit: int) -> str:
    """``value`` cleaned; TooLong when it is longer than ``limit`` characters."""
    if len(value) > 4 * limit:  # hopeless: do not spend time (or a copy) cleaning it
        raise TooLong(f"{field} is {len(value):,} characters, over the {limit:,} allowed")
    value = clean_chars(value)
    if len(value) > limit:
        raise TooLong(f"{field} is {len(value):,} characters, over the {limit:,} allowed")
    return value


def _clean_list(field: str, values: list[str], most: int, limit: int) -> list[str]:
    if len(values) > most:
        raise TooLong(f"{field} has {len(values):,} entries, over the {most:,} allowed")
    cleaned = (capped(f"{field} entry {i}", v, limit).strip() for i, v in enumerate(values, 1) if isinstance(v, str))
    return [v for v in cleaned if v]


def _clean_json(value: Any, budget: list[int], depth: int = 0) -> Any:
    """A JSON value with every string cleaned; TooLong when it is too big or too deep."""
    budget[0] -= 1
    if budget[0] < 0 or depth > JSON_DEPTH:
        raise TooLong(f"organization is larger than {JSON_ITEMS} values or deeper than {JSON_DEPTH} levels")
    if isinstance(value, str):
        return capped("organization", value, JSON_TEXT_LIMIT)
    if isinstance(value, dict):
        return {capped("organization", str(k), JSON_TEXT_LIMIT): _clean_json(v, budget, depth + 1)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v, budget, depth + 1) for v in value]
    return value


def clean_record(record: PaperRecord) -> PaperRecord | Rejection:
    """The record with every text field cleaned in place, or a rejection naming the field over its cap."""
    where = record.location or (f"id {record.arxiv_id}" if record.arxiv_id else "a record")
    try:
        for field, limit in FIELD_LIMITS.items():
            value = getattr(record, field)
            if isinstance(value, str):
                setattr(record, field, capped(field, value, limit).strip() or None)
        for field, (most, limit) in LIST_LIMITS.items():
            values = getattr(record, field)
            if values:
                setattr(record, field, _clean_list(field, values, most, limit))
        if record.organization is not None:
            record.organization = _clean_json(record.organization, [JSON_ITEMS])
    except TooLong as exc:
        return Rejection(where, str(exc))
    if not record.title:
        return Rejection(where, "no title (nothing is left of it once control characters are removed)")
    return record


def clean_items(items: Iterable[ParseItem]) -> Iterator[ParseItem]:
    """Pass a parser's output on with every record cleaned (or turned into a rejection)."""
    for item in items:
        yield clean_record(item) if isinstance(item, PaperRecord) else item


def bounded_lines(stream: Any, limit: int = MAX_LINE_BYTES) -> Iterator[bytes | None]:
    """The stream's lines, each read with at most ``limit`` bytes in memory; ``None`` stands for a longer one."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        # Over the limit: skip to the end of this line a block at a time, then report it.
        while line and not line.endswith(b"\n"):
            line = stream.readline(limit)
        yield None
