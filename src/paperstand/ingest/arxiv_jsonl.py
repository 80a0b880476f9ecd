"""JSON lines of arXiv metadata: the Kaggle snapshot schema and the ``{id, title, summary, ...}`` schema.

The schema is decided per line (Kaggle lines have ``abstract``; the other has ``summary``), so mixed
files work. Files reach hundreds of megabytes: lines are read and decoded one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO

import orjson

from paperstand.ingest.clean import MAX_LINE_BYTES, bounded_lines
from paperstand.ingest.record import (
    PaperRecord,
    ParseItem,
    Rejection,
    clean_text,
    split_arxiv_id,
    withdrawn_from_comments,
)
from paperstand.papers.published import arxiv_date

SOURCE = "arxiv-jsonl"


def parse(stream: BinaryIO, name: str) -> Iterator[ParseItem]:
    """Yield one record per non-blank line, or a rejection naming the line and the reason."""
    for number, raw in enumerate(bounded_lines(stream), start=1):
        if raw is None:
            yield Rejection(f"line {number}", f"longer than {MAX_LINE_BYTES:,} bytes; no record is that long")
            continue
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark some editors write
        if not raw.strip():
            continue
        where = f"line {number}"
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield Rejection(where, _decode_error(raw, exc))
            continue
        if not isinstance(obj, dict):
            yield Rejection(where, f"expected a JSON object, found {type(obj).__name__}")
            continue
        try:
            item = _record(obj, where)
        except (AttributeError, TypeError, ValueError) as exc:
            # A field of the wrong JSON type (a number where text belongs) spoils this line only.
            item = Rejection(where, f"unexpected value in a field ({exc})")
        yield item


def _decode_error(raw: bytes, exc: Exception) -> str:
    """Why a line did not load: bad UTF-8 (with its byte) or bad JSON."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"not valid UTF-8 (byte {bad.start + 1})"
    return f"invalid JSON ({exc})"


def _record(obj: dict[str, Any], where: str) -> ParseItem:
    """One decoded line: a record of either schema, or a rejection."""
    ident = str(obj.get("id") or "")
    title = clean_text(obj.get("title") if isinstance(obj.get("title"), str) else None)
    if not title:
        return Rejection(f"{where} (id {ident or '?'})", "no title")
    parsed = split_arxiv_id(ident) if ident else None
    if parsed is None:
        return Rejection(where, f"no arXiv id (id field is {ident!r})")
    if "abstract" in obj or "versions" in obj:
        return _kaggle(obj, parsed, title, where)
    return _daily(obj, parsed, title, where)


def _kaggle(obj: dict[str, Any], parsed: tuple[str, int | None], title: str, where: str) -> PaperRecord:
    """A Kaggle snapshot line."""
    versions = _versions(obj.get("versions") or [])
    comments = clean_text(obj.get("comments"))
    published_at, precision = arxiv_date(versions[0][1] if versions else None, parsed[0])
    return PaperRecord(
        source=SOURCE, title=title, arxiv_id=parsed[0],
        version=versions[-1][0] if versions else parsed[1],
        authors=_kaggle_authors(obj), abstract=clean_text(obj.get("abstract")),
        categories=(obj.get("categories") or "").split(),
        published_at=published_at, published_precision=precision,
        updated_at=versions[-1][1] if versions else None, versions=versions,
        doi=clean_text(obj.get("doi")), journal_ref=clean_text(obj.get("journal-ref")),
        comments=comments, license=clean_text(obj.get("license")),
        withdrawn=withdrawn_from_comments(comments), location=where,
    )


def _daily(obj: dict[str, Any], parsed: tuple[str, int | None], title: str, where: str) -> PaperRecord:
    """A daily-arXiv line (``summary`` is the abstract). It carries no date: the id's month stands in."""
    comments = clean_text(obj.get("comment"))
    categories = obj.get("categories") or []
    if isinstance(categories, str):
        categories = categories.split()
    pdf = obj.get("pdf")
    published_at, precision = arxiv_date(None, parsed[0])
    return PaperRecord(
        source=SOURCE, title=title, arxiv_id=parsed[0], version=parsed[1],
        published_at=published_at, published_precision=precision,
        authors=[a.strip() for a in obj.get("authors") or [] if isinstance(a, str) and a.strip()],
        abstract=clean_text(obj.get("summary") or obj.get("abstract")),
        categories=[c for c in categories if isinstance(c, str)],
        comments=comments, pdf_url=pdf if isinstance(pdf, str) and pdf else None,
        withdrawn=withdrawn_from_comments(comments), location=where,
    )


def _versions(raw: list[Any]) -> list[tuple[int, datetime | None]]:
    """Snapshot versions ('v1' with its created date) as [(1, datetime)], oldest first."""
    out = []
    for v in raw:
        try:
            num = int(str(v.get("version", "")).lstrip("v"))
        except (AttributeError, ValueError):
            continue
        out.append((num, _rfc2822(v.get("created"))))
    return sorted(out, key=lambda t: t[0])


_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}


def _rfc2822(text: object) -> datetime | None:
    """A snapshot date as aware UTC, fast for its fixed layout."""
    if not isinstance(text, str):
        return None
    # Fast path for the snapshot's fixed layout, "Mon, 2 Apr 2007 19:18:42 GMT".
    parts = text.split()
    if len(parts) == 6 and parts[5] == "GMT" and parts[2] in _MONTHS:
        try:
            hh, mm, ss = parts[4].split(":")
            return datetime(int(parts[3]), _MONTHS[parts[2]], int(parts[1]), int(hh), int(mm), int(ss),
                            tzinfo=UTC)
        except ValueError:
            pass
    try:
        return parsedate_to_datetime(text).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def _kaggle_authors(obj: dict[str, Any]) -> list[str]:
    """Names from ``authors_parsed`` ([last, first, suffix]), else the string split."""
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for parts in parsed:
            # [last, first, suffix]; any part may be empty. Plain concatenation: this runs for every
            # author of every line of a multi-million-line snapshot.
            if not isinstance(parts, list) or not parts:
                continue
            first = parts[1] if len(parts) > 1 else ""
            name = first + " " + parts[0] if first else parts[0]
            if len(parts) > 2 and parts[2]:
                name += " " + parts[2]
            name = name.strip()
            if name:
                names.append(name)
        return names
    text = clean_text(obj.get("authors")) or ""
    return [a.strip() for a in text.replace(" and ", ", ").split(",") if a.strip()]
