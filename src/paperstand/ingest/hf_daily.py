"""Hugging Face papers JSON: ``/api/daily_papers``, ``/api/papers/search`` and ``/api/papers/{id}``.

Also reads the PaperExplorer history export (a dict keyed by arXiv id with ``title``, ``authors``,
``abstract``, ``publication_date`` and ``upvotes``), whose papers were scraped from Hugging Face day
pages: the exact feature day is not recorded, so the arXiv publication day stands in for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from paperstand import jsontext
from paperstand.ingest.record import PaperRecord, ParseItem, Rejection, clean_text, iso_utc, split_arxiv_id
from paperstand.papers.published import arxiv_date

SOURCE = "hf-daily"
# Real discussion ids are 24 hex digits; anything id-like and short is kept, the rest dropped.
_DISCUSSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# The thumbnail column's width; a longer URL is not a thumbnail Hugging Face sends.
_MAX_URL = 512
# JSON values kept from fields that hold plain values; lists and objects there are noise, however deep.
_SCALARS = (str, int, float, bool)


def parse(stream: BinaryIO, name: str) -> Iterator[ParseItem]:
    """Yield a record per paper in the document, or a rejection naming the record and reason."""
    data = stream.read()
    try:
        doc = jsontext.loads(data.decode("utf-8-sig"))  # tolerate a byte-order mark
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        yield Rejection(f"byte {exc.start + 1} (line {line})", "not valid UTF-8")
        return
    except json.JSONDecodeError as exc:
        yield Rejection(f"line {exc.lineno} column {exc.colno}", f"invalid JSON ({exc.msg})")
        return
    except jsontext.TooDeep:
        # '[' * 2000 is valid JSON that no paper document resembles; the parser would recurse per bracket.
        yield Rejection("document", "invalid JSON (nested too deeply to read)")
        return
    if isinstance(doc, dict) and isinstance(doc.get("error"), str):
        yield Rejection("response", f"Hugging Face API error: {doc['error']}")
        return
    if isinstance(doc, dict) and "id" not in doc and "paper" not in doc:
        yield from _explorer(doc)
        return
    items = doc if isinstance(doc, list) else [doc]
    for number, item in enumerate(items, start=1):
        try:
            yield _item(item, f"record {number}")
        except (AttributeError, TypeError, ValueError) as exc:
            # A field of the wrong JSON type ("authors": 5) spoils this record only.
            yield Rejection(f"record {number}", f"unexpected value in a field ({exc})")


def _item(item: Any, where: str) -> ParseItem:
    """One daily-papers, search or detail item: a record, or a rejection naming it."""
    if not isinstance(item, dict):
        return Rejection(where, f"expected a JSON object, found {type(item).__name__}")
    nested = item.get("paper")
    paper: dict[str, Any] = nested if isinstance(nested, dict) else item
    ident = str(paper.get("id") or "")
    where = f"{where} (id {ident})" if ident else where
    title = clean_text(_str(paper.get("title")) or _str(item.get("title")))
    if not title:
        return Rejection(where, "no title")
    parsed = split_arxiv_id(ident) if ident else None
    if parsed is None:
        return Rejection(where, f"no arXiv id (id field is {ident!r})")
    by = paper.get("submittedOnDailyBy") or item.get("submittedBy") or {}
    daily_at = iso_utc(paper.get("submittedOnDailyAt"))
    org = item.get("organization") or paper.get("organization")
    published_at, precision = arxiv_date(iso_utc(paper.get("publishedAt")), parsed[0])
    return PaperRecord(
        source=SOURCE, title=title, arxiv_id=parsed[0],
        # "hidden" marks an author who hid the paper from their profile; they still wrote it.
        authors=[clean_text(a["name"]) or "" for a in paper.get("authors") or []
                 if isinstance(a, dict) and _str(a.get("name"))],
        abstract=clean_text(_str(paper.get("summary")) or _str(item.get("summary"))),
        published_at=published_at, published_precision=precision,
        github_repo=_str(paper.get("githubRepo") or item.get("githubRepo")),
        project_page=_str(paper.get("projectPage") or item.get("projectPage")),
        ai_summary=_str(paper.get("ai_summary")), ai_keywords=_keywords(paper.get("ai_keywords")),
        organization=_organization(org),
        discussion_id=_discussion_id(paper.get("discussionId")),
        thumbnail=_thumbnail(item.get("thumbnail") or paper.get("thumbnail")),
        hf_upvotes=_int(paper.get("upvotes")), hf_comments=_int(item.get("numComments")),
        github_stars=_int(paper.get("githubStars", item.get("githubStars"))),
        featured_on=daily_at.date() if daily_at else None,
        submitted_by=_str(by.get("user") or by.get("name")) if daily_at and isinstance(by, dict) else None,
        submitted_by_name=_str(by.get("fullname")) if daily_at and isinstance(by, dict) else None,
        location=where,
    )


def _explorer(doc: dict[str, Any]) -> Iterator[ParseItem]:
    """Records of the PaperExplorer export, keyed by arXiv id."""
    for number, (key, item) in enumerate(doc.items(), start=1):
        where = f"record {number} (id {key})"
        if not isinstance(item, dict):
            yield Rejection(where, f"expected a JSON object, found {type(item).__name__}")
            continue
        title, parsed = clean_text(_str(item.get("title"))), split_arxiv_id(str(key))
        if not title:
            yield Rejection(where, "no title")
            continue
        if parsed is None:
            yield Rejection(where, "key is not an arXiv id")
            continue
        # The export only kept the arXiv publication time; its papers were scraped from HF day pages,
        # usually a day or two later, but the exact feature day is unknown: the publication day stands in.
        published = iso_utc(item.get("publication_date"))
        published_at, precision = arxiv_date(published, parsed[0])
        yield PaperRecord(
            source=SOURCE, title=title, arxiv_id=parsed[0], version=parsed[1], authors=_names(item.get("authors")),
            abstract=clean_text(_str(item.get("abstract"))), published_at=published_at,
            published_precision=precision,
            hf_upvotes=_int(item.get("upvotes")), featured_on=published.date() if published else None,
            location=where,
        )


def _names(value: Any) -> list[str]:
    """Authors as a list, or as the text of a Python list ("['A', 'B']") as the export stores them."""
    if isinstance(value, list):
        return [str(v).strip() for v in value if isinstance(v, _SCALARS) and str(v).strip()]
    if isinstance(value, str):
        text = value.strip().strip("[]")
        return [part.strip().strip("'\"").strip() for part in text.split("',") if part.strip().strip("'\"")]
    return []


def _discussion_id(value: Any) -> str | None:
    """The paper's Hugging Face discussion id, if it looks like one."""
    return value if isinstance(value, str) and _DISCUSSION_ID.fullmatch(value) else None


def _thumbnail(value: Any) -> str | None:
    """An absolute http(s) image URL without spaces or control characters, else ``None``."""
    if not isinstance(value, str) or len(value) > _MAX_URL or not value.startswith(("https://", "http://")):
        return None
    return None if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value) else value


def _organization(value: Any) -> dict[str, Any] | None:
    """The organization's own fields (name, avatar...): nested values are dropped, so depth cannot reach storage."""
    if not isinstance(value, dict):
        return None
    return {str(k): v for k, v in value.items() if v is None or isinstance(v, _SCALARS)}


def _keywords(value: Any) -> list[str] | None:
    """A list of keywords, or ``None`` when the source has none."""
    return [str(v) for v in value if isinstance(v, _SCALARS)] if isinstance(value, list) else None


def _str(value: Any) -> str | None:
    """A non-blank string, else ``None``."""
    return value if isinstance(value, str) and value.strip() else None


def _int(value: Any) -> int | None:
    """An integer (the API sometimes quotes numbers), else ``None``."""
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None

