"""arXiv OAI-PMH responses (``ListRecords``/``GetRecord``) in arXivRaw, arXiv and oai_dc metadata.

Deleted records are skipped with a notice; ``<error>`` answers become a rejection naming the OAI code,
except ``noRecordsMatch``, which is an empty result and only a notice. A harvester reads the paging
state with ``read_resumption_token`` and ``read_oai_error`` without parsing the records.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from io import BytesIO
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element

from paperstand.ingest.record import (
    Notice,
    PaperRecord,
    ParseItem,
    Rejection,
    split_arxiv_id,
    withdrawn_from_comments,
)
from paperstand.ingest.xmlparse import closed_elements, text_of

SOURCE = "arxiv-oai"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
RAW = "{http://arxiv.org/OAI/arXivRaw/}"
ARX = "{http://arxiv.org/OAI/arXiv/}"
DC = "{http://purl.org/dc/elements/1.1/}"
TAGS = frozenset({OAI + "record", OAI + "error"})
# Name parts that belong to the previous author when an author string is split on commas.
SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
# TeX accent commands as arXiv writes them in author names (\'e, \"{u}, \c{c}) → combining marks.
_ACCENTS = {"`": "\u0300", "'": "\u0301", "^": "\u0302", "~": "\u0303", "=": "\u0304", "u": "\u0306",
            ".": "\u0307", '"': "\u0308", "r": "\u030a", "H": "\u030b", "v": "\u030c", "c": "\u0327",
            "k": "\u0328"}
_TEX_ACCENT = re.compile(r"""\\(?:([`'^~=."])|([uvHckr])(?=[\s{]))\s*\{?\s*\\?([A-Za-z])\}?""")
_TEX_LETTERS = {"ss": "ß", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "aa": "å", "AA": "Å", "ae": "æ",
                "AE": "Æ", "oe": "œ", "OE": "Œ", "i": "ı"}
_TEX_LETTER = re.compile(r"\\(ss|aa|AA|ae|AE|oe|OE|[oOlLi])(?![A-Za-z])")


def parse(stream: BinaryIO, name: str) -> Iterator[ParseItem]:
    """Yield a record per OAI record, a notice per deleted one, a rejection per error."""
    number = 0
    for elem in closed_elements(stream, TAGS):
        if isinstance(elem, Rejection):
            yield elem
        elif elem.tag == OAI + "error":
            code, message = elem.get("code", "unknown"), text_of(elem) or "(no message)"
            if code == "noRecordsMatch":
                yield Notice("response", f"OAI-PMH noRecordsMatch: {message} (an empty result)")
            else:
                yield Rejection("response", f"OAI-PMH error {code}: {message}")
        else:
            number += 1
            yield _record(elem, number)


def _record(elem: Element, number: int) -> ParseItem:
    """One ``<record>``: a record in its metadata format, or a notice or rejection."""
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


def _common(meta: Element, ns: str, where: str) -> dict[str, Any] | Rejection:
    """The record fields arXivRaw and arXiv share (same element names, other namespace), or why not."""
    ident, title = text_of(meta.find(ns + "id")) or "", text_of(meta.find(ns + "title"))
    parsed = split_arxiv_id(ident)
    if not title or parsed is None:
        return Rejection(where, "no title" if not title else f"no arXiv id ({ident!r})")
    comments = text_of(meta.find(ns + "comments"))
    return dict(
        source=SOURCE, title=title, arxiv_id=parsed[0], abstract=text_of(meta.find(ns + "abstract")),
        categories=(text_of(meta.find(ns + "categories")) or "").split(),
        comments=comments, doi=text_of(meta.find(ns + "doi")), journal_ref=text_of(meta.find(ns + "journal-ref")),
        license=text_of(meta.find(ns + "license")), withdrawn=withdrawn_from_comments(comments), location=where,
    )


def _arxiv_raw(meta: Element, where: str) -> ParseItem:
    """arXivRaw: every version with its RFC 2822 date, and the author string."""
    fields = _common(meta, RAW, where)
    if isinstance(fields, Rejection):
        return fields
    versions = []
    for v in meta.findall(RAW + "version"):
        num = (v.get("version") or "").lstrip("v")
        if num.isdigit():
            versions.append((int(num), _rfc2822(text_of(v.find(RAW + "date")))))
    versions.sort(key=lambda t: t[0])
    return PaperRecord(authors=split_authors(text_of(meta.find(RAW + "authors")) or ""),
                       version=versions[-1][0] if versions else None, versions=versions,
                       published_at=versions[0][1] if versions else None,
                       updated_at=versions[-1][1] if versions else None, **fields)


def _arxiv(meta: Element, where: str) -> ParseItem:
    """The arXiv format: structured author names, created and updated days."""
    fields = _common(meta, ARX, where)
    if isinstance(fields, Rejection):
        return fields
    authors = []
    for a in meta.iter(ARX + "author"):
        parts = [text_of(a.find(ARX + t)) for t in ("forenames", "keyname", "suffix")]
        name = tex_to_unicode(" ".join(p for p in parts if p))
        if name:
            authors.append(name)
    # This format carries no version history: only the first and the latest version's day.
    created = _day(text_of(meta.find(ARX + "created")))
    return PaperRecord(authors=authors, published_at=created,
                       updated_at=_day(text_of(meta.find(ARX + "updated"))) or created, **fields)


def _oai_dc(meta: Element, ident: str, where: str) -> ParseItem:
    """Dublin Core: 'Last, First' creators, abstract and comment descriptions, dates."""
    title = text_of(meta.find(DC + "title"))
    ids = [text_of(e) or "" for e in meta.findall(DC + "identifier")]
    parsed = next((p for p in map(split_arxiv_id, [*ids, ident]) if p), None)
    if not title or parsed is None:
        return Rejection(where, "no title" if not title else "no arXiv id")
    descriptions = [text_of(e) or "" for e in meta.findall(DC + "description")]
    abstract = next((d for d in descriptions if not d.startswith("Comment:")), None)
    comments = next((d[len("Comment:"):].strip() for d in descriptions if d.startswith("Comment:")), None)
    # One dc:date per version, oldest first; day precision only, so no version list is made from them.
    dates = sorted(filter(None, (_day(text_of(e)) for e in meta.findall(DC + "date"))))
    doi = next((i[len("doi:"):] for i in ids if i.startswith("doi:")), None)
    # dc:subject holds display names ("Computer Science - Machine Learning") in alphabetical order,
    # with no primary marked: categories stay unknown rather than get a wrong primary.
    return PaperRecord(source=SOURCE, title=title, arxiv_id=parsed[0], version=parsed[1],
                       authors=[_first_last(text_of(e) or "") for e in meta.findall(DC + "creator")],
                       abstract=abstract, comments=comments, doi=doi, withdrawn=withdrawn_from_comments(comments),
                       published_at=dates[0] if dates else None, updated_at=dates[-1] if dates else None,
                       location=where)


def split_authors(text: str) -> list[str]:
    """Split arXiv's author string ("A (Inst), B and C ((1) Univ)") into names without affiliations."""
    previous = None
    while previous != text:  # affiliations nest: "B (1) ((1) Univ)" needs two passes
        previous, text = text, re.sub(r"\([^()]*\)", " ", text)
    names: list[str] = []
    for part in re.split(r",\s*(?:and\s+)?|\s+and\s+", tex_to_unicode(text)):
        name = " ".join(part.split())
        if names and name.lower() in SUFFIXES:
            names[-1] += ", " + name  # "John Smith, Jr." is one author
        elif name:
            names.append(name)
    return names


def tex_to_unicode(text: str) -> str:
    """Turn TeX accents in a name into Unicode ("Thom\\'e" → "Thomé"); other text is unchanged."""
    if "\\" not in text:
        return text
    text = _TEX_ACCENT.sub(lambda m: unicodedata.normalize(
        "NFC", m.group(3) + _ACCENTS[m.group(1) or m.group(2)]), text)
    text = _TEX_LETTER.sub(lambda m: _TEX_LETTERS[m.group(1)], text)
    return text.replace("{", "").replace("}", "")


def _first_last(name: str) -> str:
    """oai_dc writes "Last, First"; show "First Last"."""
    last, _, first = name.partition(",")
    return f"{first.strip()} {last.strip()}".strip() if first else name.strip()


def _rfc2822(text: str | None) -> datetime | None:
    """A version date ('Mon, 2 Apr 2007 19:18:42 GMT') as aware UTC."""
    try:
        return parsedate_to_datetime(text).astimezone(UTC) if text else None
    except (TypeError, ValueError):
        return None


def _day(text: str | None) -> datetime | None:
    """A 'YYYY-MM-DD' day as midnight UTC."""
    try:
        return datetime.fromisoformat(text[:10]).replace(tzinfo=UTC) if text else None
    except ValueError:
        return None


def read_resumption_token(data: bytes) -> str | None:
    """The response's resumption token; ``None`` on the last page (absent or empty token)."""
    if b"resumptionToken" not in data:
        return None
    for elem in closed_elements(BytesIO(data), frozenset({OAI + "resumptionToken"})):
        if not isinstance(elem, Rejection):
            return (elem.text or "").strip() or None
    return None


def read_oai_error(data: bytes) -> tuple[str, str] | None:
    """The first OAI-PMH ``<error>`` as (code, message), or ``None``."""
    # Pages of records are megabytes; only a response with an error element needs parsing.
    if not re.search(rb"<(?:[\w.-]+:)?error[\s>/]", data):
        return None
    for elem in closed_elements(BytesIO(data), frozenset({OAI + "error"})):
        if not isinstance(elem, Rejection):
            return elem.get("code", "unknown"), text_of(elem) or ""
    return None
