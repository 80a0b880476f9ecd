"""arXiv OAI-PMH responses (``ListRecords``/``GetRecord``) in arXivRaw, arXiv and oai_dc metadata.

Deleted records are skipped with a notice; ``<error>`` answers become a rejection naming the OAI code,
except ``noRecordsMatch``, which is an empty result and only a notice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from io import BytesIO
from typing import BinaryIO
from xml.etree.ElementTree import Element

from paperstand.ingest.record import (
    Notice,
    PaperRecord,
    ParseItem,
    Rejection,
    clean_text,
    split_arxiv_id,
    withdrawn_from_comments,
)
from paperstand.ingest.xmlparse import closed_elements, text_of

SOURCE = "arxiv-oai"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
RAW = "{http://arxiv.org/OAI/arXivRaw/}"
ARX = "{http://arxiv.org/OAI/arXiv/}"
DC = "{http://purl.org/dc/elements/1.1/}"
TAGS = frozenset({OAI + "record", OAI + "error", OAI + "resumptionToken"})


def parse(stream: BinaryIO, name: str) -> Iterator[ParseItem]:
    """Yield a record per OAI record, a notice per deleted one, a rejection per error."""
    number = 0
    for elem in closed_elements(stream, TAGS):
        if isinstance(elem, Rejection):
            yield elem
        elif elem.tag == OAI + "error":
            code, message = elem.get("code", "unknown"), text_of(elem) or ""
            if code == "noRecordsMatch":
                yield Notice("OAI-PMH", f"noRecordsMatch: {message} (no records)")
            else:
                yield Rejection("OAI-PMH error", f"{code}: {message}")
        elif elem.tag == OAI + "record":
            number += 1
            yield _record(elem, number)


def _record(elem: Element, number: int) -> ParseItem:
    header = elem.find(OAI + "header")
    ident = text_of(header.find(OAI + "identifier")) if header is not None else None
    where = f"record {number}" + (f" ({ident})" if ident else "")
    if header is not None and header.get("status") == "deleted":
        return Notice(where, "deleted upstream; skipped")
    metadata = elem.find(OAI + "metadata")
    if metadata is None or len(metadata) == 0:
        return Rejection(where, "no <metadata>")
    meta = metadata[0]
    if meta.tag == RAW + "arXivRaw":
        return _arxiv_raw(meta, where)
    if meta.tag == ARX + "arXiv":
        return _arxiv(meta, where)
    if meta.tag.endswith("}dc"):
        return _oai_dc(meta, ident or "", where)
    return Rejection(where, f"unsupported metadata format <{meta.tag}>")


def _common(meta: Element, ns: str, where: str) -> tuple[str | None, str | None, dict[str, object]]:
    ident, title = text_of(meta.find(ns + "id")), text_of(meta.find(ns + "title"))
    comments = text_of(meta.find(ns + "comments"))
    fields: dict[str, object] = dict(
        abstract=text_of(meta.find(ns + "abstract")),
        categories=(text_of(meta.find(ns + "categories")) or "").split(),
        comments=comments, doi=_first_doi(text_of(meta.find(ns + "doi"))),
        journal_ref=text_of(meta.find(ns + "journal-ref")),
        license=text_of(meta.find(ns + "license")), withdrawn=withdrawn_from_comments(comments), location=where,
    )
    return ident, title, fields


def _arxiv_raw(meta: Element, where: str) -> ParseItem:
    ident, title, fields = _common(meta, RAW, where)
    parsed = split_arxiv_id(ident or "")
    if not title or parsed is None:
        return Rejection(where, "no title" if not title else f"no arXiv id ({ident!r})")
    versions = []
    for v in meta.findall(RAW + "version"):
        num = (v.get("version") or "").lstrip("v")
        if num.isdigit():
            versions.append((int(num), _rfc2822(text_of(v.find(RAW + "date")))))
    versions.sort(key=lambda t: t[0])
    return PaperRecord(source=SOURCE, title=title, arxiv_id=parsed[0], authors=split_authors(
        text_of(meta.find(RAW + "authors")) or ""), version=versions[-1][0] if versions else None,
        versions=versions, published_at=versions[0][1] if versions else None,
        updated_at=versions[-1][1] if versions else None, **fields)  # type: ignore[arg-type]


def _arxiv(meta: Element, where: str) -> ParseItem:
    ident, title, fields = _common(meta, ARX, where)
    parsed = split_arxiv_id(ident or "")
    if not title or parsed is None:
        return Rejection(where, "no title" if not title else f"no arXiv id ({ident!r})")
    authors = []
    for a in meta.iter(ARX + "author"):
        parts = [text_of(a.find(ARX + t)) for t in ("forenames", "keyname", "suffix")]
        name = " ".join(p for p in parts if p)
        if name:
            authors.append(name)
    return PaperRecord(source=SOURCE, title=title, arxiv_id=parsed[0], authors=authors,
                       published_at=_day(text_of(meta.find(ARX + "created"))),
                       updated_at=_day(text_of(meta.find(ARX + "updated"))), **fields)  # type: ignore[arg-type]


def _oai_dc(meta: Element, ident: str, where: str) -> ParseItem:
    title = text_of(meta.find(DC + "title"))
    ids = [text_of(e) or "" for e in meta.findall(DC + "identifier")]
    parsed = next((p for p in map(split_arxiv_id, [*ids, ident]) if p), None)
    if not title or parsed is None:
        return Rejection(where, "no title" if not title else "no arXiv id")
    descriptions = [text_of(e) or "" for e in meta.findall(DC + "description")]
    abstract = next((d for d in descriptions if not d.startswith("Comment:")), None)
    comments = next((d[len("Comment:"):].strip() for d in descriptions if d.startswith("Comment:")), None)
    dates = sorted(filter(None, (_day(text_of(e)) for e in meta.findall(DC + "date"))))
    doi = next((i[len("doi:"):] for i in ids if i.startswith("doi:")), None)
    return PaperRecord(source=SOURCE, title=title, arxiv_id=parsed[0], version=parsed[1],
                       authors=[_first_last(text_of(e) or "") for e in meta.findall(DC + "creator")],
                       abstract=abstract, comments=comments, doi=doi, withdrawn=withdrawn_from_comments(comments),
                       published_at=dates[0] if dates else None, updated_at=dates[-1] if dates else None,
                       location=where)


def split_authors(text: str) -> list[str]:
    """Split arXiv's author string ("A, B and C", "A, B, and C") into names."""
    text = re.sub(r"\([^()]*\)", "", text)  # affiliations in parentheses
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", text)
    return [clean_text(p) or "" for p in parts if clean_text(p)]


def _first_doi(text: str | None) -> str | None:
    """arXiv lists several DOIs separated by spaces; the first is the paper's own."""
    return text.split()[0] if text else None


def _first_last(name: str) -> str:
    """oai_dc writes "Last, First"; show "First Last"."""
    last, _, first = name.partition(",")
    return f"{first.strip()} {last.strip()}".strip() if first else name.strip()


def _rfc2822(text: str | None) -> datetime | None:
    try:
        return parsedate_to_datetime(text).astimezone(UTC) if text else None
    except (TypeError, ValueError):
        return None


def _day(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text[:10]).replace(tzinfo=UTC) if text else None
    except ValueError:
        return None


def read_resumption_token(data: bytes) -> str | None:
    """The response's resumption token; ``None`` (or empty) on the last page."""
    for elem in closed_elements(BytesIO(data), frozenset({OAI + "resumptionToken"})):
        if not isinstance(elem, Rejection):
            return (elem.text or "").strip() or None
    return None


def read_oai_error(data: bytes) -> tuple[str, str] | None:
    """The first OAI-PMH ``<error>`` as (code, message), or ``None``."""
    for elem in closed_elements(BytesIO(data), frozenset({OAI + "error"})):
        if not isinstance(elem, Rejection):
            return elem.get("code", "unknown"), text_of(elem) or ""
    return None
