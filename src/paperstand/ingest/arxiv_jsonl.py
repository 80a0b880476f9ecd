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

from paperstand.ingest.record import (
    PaperRecord,
    ParseItem,
    Rejection,
    clean_text,
    split_arxiv_id,
    withdrawn_from_comments,
)

SOURCE = "arxiv-jsonl"


def parse(stream: BinaryIO, name: str) -> Iterator[ParseItem]:
    """Yield one record per non-blank line, or a rejection naming the line and the reason."""
    for number, raw in enumerate(stream, start=1):
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
        yield _record(obj, where)


def _decode_error(raw: bytes, exc: Exception) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"not valid UTF-8 (byte {bad.start + 1})"
    return f"invalid JSON ({exc})"


def _record(obj: dict[str, Any], where: str) -> ParseItem:
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
    versions = _versions(obj.get("versions") or [])
    comments = clean_text(obj.get("comments"))
    return PaperRecord(
        source=SOURCE, title=title, arxiv_id=parsed[0],
        version=versions[-1][0] if versions else parsed[1],
        authors=_kaggle_authors(obj), abstract=clean_text(obj.get("abstract")),
        categories=(obj.get("categories") or "").split(),
        published_at=versions[0][1] if versions else None,
        updated_at=versions[-1][1] if versions else None, versions=versions,
        doi=clean_text(obj.get("doi")), journal_ref=clean_text(obj.get("journal-ref")),
        comments=comments, license=obj.get("license") or None,
        withdrawn=withdrawn_from_comments(comments), location=where,
    )


def _daily(obj: dict[str, Any], parsed: tuple[str, int | None], title: str, where: str) -> PaperRecord:
    comments = clean_text(obj.get("comment"))
    categories = obj.get("categories") or []
    if isinstance(categories, str):
        categories = categories.split()
    return PaperRecord(
        source=SOURCE, title=title, arxiv_id=parsed[0], version=parsed[1],
        authors=[a.strip() for a in obj.get("authors") or [] if isinstance(a, str) and a.strip()],
        abstract=clean_text(obj.get("summary") or obj.get("abstract")), categories=list(categories),
        comments=comments, pdf_url=obj.get("pdf") or None,
        withdrawn=withdrawn_from_comments(comments), location=where,
    )


def _versions(raw: list[Any]) -> list[tuple[int, datetime | None]]:
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
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for parts in parsed:
            # [last, first, suffix]; any part may be empty.
            if isinstance(parts, list) and parts:
                name = " ".join([p for p in (parts[1:2] + parts[:1] + parts[2:3]) if p]).strip()
                if name:
                    names.append(name)
        return names
    text = clean_text(obj.get("authors")) or ""
    return [a.strip() for a in text.replace(" and ", ", ").split(",") if a.strip()]
