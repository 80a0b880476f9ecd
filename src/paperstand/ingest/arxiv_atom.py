"""arXiv API (``export.arxiv.org/api/query``) Atom responses, legacy (≤2024) and current layouts.

The API reports errors as a feed whose single entry has an ``/api/errors#...`` id; that becomes a
rejection carrying the API's message.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO
from xml.etree.ElementTree import Element

from paperstand.ingest.record import (
    Notice,
    PaperRecord,
    ParseItem,
    Rejection,
    iso_utc,
    split_arxiv_id,
    withdrawn_from_comments,
)
from paperstand.ingest.xmlparse import closed_elements, text_of

SOURCE = "arxiv-atom"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"


def parse(stream: BinaryIO, name: str) -> Iterator[ParseItem]:
    """Yield a record per ``<entry>``; an API error entry becomes a rejection."""
    number = 0
    for elem in closed_elements(stream, frozenset({ATOM + "entry"})):
        if isinstance(elem, Rejection):
            yield elem
            return
        number += 1
        yield _entry(elem, number)
    if number == 0:
        # An id that does not exist, or a page past the end, is an empty feed, not a failure.
        yield Notice("feed", "no entries (the query matched nothing)")


def _entry(entry: Element, number: int) -> ParseItem:
    """One ``<entry>``: a record, or a rejection for an API error or a missing title or id."""
    ident = text_of(entry.find(ATOM + "id")) or ""
    where = f"entry {number}" + (f" ({ident})" if ident else "")
    if "/api/errors" in ident:  # the API answers a bad query with one entry titled "Error"
        return Rejection(where, f"arXiv API error: {text_of(entry.find(ATOM + 'summary')) or 'unknown'}")
    title = text_of(entry.find(ATOM + "title"))
    parsed = split_arxiv_id(ident.rsplit("/abs/", 1)[-1]) if "/abs/" in ident else None
    if not title:
        return Rejection(where, "no title")
    if parsed is None:
        return Rejection(where, f"no arXiv id in <id> ({ident!r})")
    arxiv_id, version = parsed
    published = iso_utc(text_of(entry.find(ATOM + "published")))
    updated = iso_utc(text_of(entry.find(ATOM + "updated")))
    primary = entry.find(ARXIV + "primary_category")
    categories = [c.get("term", "") for c in entry.findall(ATOM + "category") if c.get("term")]
    if primary is not None and primary.get("term"):
        categories = [primary.get("term", ""), *[c for c in categories if c != primary.get("term")]]
    comments = text_of(entry.find(ARXIV + "comment"))
    versions = _versions(version, published, updated)
    pdf = next((link.get("href") for link in entry.findall(ATOM + "link") if link.get("title") == "pdf"), None)
    return PaperRecord(
        source=SOURCE, title=title, arxiv_id=arxiv_id, version=version, versions=versions,
        authors=[n for a in entry.findall(ATOM + "author") if (n := text_of(a.find(ATOM + "name")))],
        abstract=text_of(entry.find(ATOM + "summary")), categories=categories,
        published_at=published, updated_at=updated, doi=text_of(entry.find(ARXIV + "doi")),
        journal_ref=text_of(entry.find(ARXIV + "journal_ref")), comments=comments, pdf_url=pdf,
        withdrawn=withdrawn_from_comments(comments), location=where,
    )


def _versions(version: int | None, published: datetime | None,
              updated: datetime | None) -> list[tuple[int, datetime | None]]:
    """<published> is when v1 appeared and <updated> when the version named in <id> did."""
    if version is None:
        return []
    return [(1, published), (version, updated)] if version > 1 else [(1, published)]

