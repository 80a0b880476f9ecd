"""rss.arxiv.org category feeds: RSS 2.0 (since 2024), and the older RSS 1.0/RDF layout.

RSS 2.0 items describe themselves as "arXiv:2604.21935v1 Announce Type: new \\nAbstract: ...": the id
and version come from that first line, the abstract from the text after "Abstract:". RDF items put
"(arXiv:1801.00001v2 [cs.LG] UPDATED)" at the end of the title and HTML in the description and
creators. A feed without items (arXiv announces nothing at weekends) yields nothing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from xml.etree.ElementTree import Element

from paperstand.ingest.record import (
    PaperRecord,
    ParseItem,
    Rejection,
    clean_text,
    iso_utc,
    split_arxiv_id,
)
from paperstand.ingest.xmlparse import closed_elements, repair_mojibake, text_of
from paperstand.papers.published import arxiv_date

SOURCE = "arxiv-rss"
DC = "{http://purl.org/dc/elements/1.1/}"
ARXIV = "{http://arxiv.org/schemas/atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
ITEM_TAGS = frozenset({"item", RSS1 + "item"})
# The RDF title suffix: id with version, primary category, and "UPDATED" / "CROSS LISTED" or nothing.
_RDF_TITLE = re.compile(r"\.?\s*\(arXiv:(?P<id>[^\s\[\]()]+)\s*\[(?P<cat>[^\]]+)\]\s*(?P<kind>[A-Z ]*)\)\s*$")
_RDF_KINDS = {"": "new", "UPDATED": "replace", "CROSS LISTED": "cross"}
_HTML_TAG = re.compile(r"<[^>]*>")
_AUTHOR_SEP = re.compile(r",\s*(?:and\s+)?|\s+and\s+")


def parse(stream: BinaryIO, name: str) -> Iterator[ParseItem]:
    """Yield a record per feed item; an empty feed (arXiv's weekends) yields nothing."""
    number = 0
    for elem in closed_elements(stream, ITEM_TAGS):
        if isinstance(elem, Rejection):
            yield elem
            continue
        number += 1
        yield _item(elem, number)


def _child(item: Element, tag: str) -> Element | None:
    """A child in no namespace (RSS 2.0) or in the RSS 1.0 namespace (RDF)."""
    found = item.find(tag)
    return found if found is not None else item.find(RSS1 + tag)


def _item(item: Element, number: int) -> ParseItem:
    """One ``<item>``: a record, or a rejection for a missing title or id."""
    link = text_of(_child(item, "link")) or item.get(RDF + "about") or ""
    where = f"item {number}" + (f" ({link})" if link else "")
    title, rdf = _split_title(text_of(_child(item, "title")))
    is_html = item.tag == RSS1 + "item"  # only RDF feeds put HTML in descriptions and creators
    head, _, abstract = _plain(_child(item, "description"), is_html).partition("Abstract:")
    if not abstract:  # RDF (and anything else): the whole description is the abstract
        head, abstract = "", head
    # The description and guid carry the version; the RDF title suffix too; the link never does.
    candidates = (head, text_of(item.find("guid")), rdf["id"] if rdf else None, link)
    parsed = next((p for c in candidates if c and (p := split_arxiv_id(c))), None)
    if not title:
        return Rejection(where, "no title")
    if parsed is None:
        return Rejection(where, "no arXiv id in link or description")
    kind = text_of(item.find(ARXIV + "announce_type")) or _announce_type(head, rdf)
    when = _date(text_of(_child(item, "pubDate")) or text_of(item.find(DC + "date")))
    categories = [c for e in item.findall("category") if (c := text_of(e))]
    # pubDate is the announcement day: a paper's first appearance only for "new" items; for
    # replacements and cross-lists the id's month is what is known of it.
    published_at, precision = arxiv_date(when if kind == "new" else None, parsed[0])
    return PaperRecord(
        source=SOURCE, title=title, arxiv_id=parsed[0], version=parsed[1],
        authors=[a.strip() for a in _AUTHOR_SEP.split(_plain(item.find(DC + "creator"), is_html)) if a.strip()],
        abstract=clean_text(abstract), categories=categories or ([rdf["cat"]] if rdf else []),
        published_at=published_at, published_precision=precision,
        updated_at=when if kind.startswith("replace") else None,
        license=text_of(item.find(DC + "rights")), location=where,
    )


def _split_title(text: str | None) -> tuple[str | None, dict[str, str] | None]:
    """The title without an RDF "(arXiv:... [cat])" suffix, and that suffix's parts."""
    if not text:
        return None, None
    match = _RDF_TITLE.search(text)
    if not match:
        return text, None
    return text[:match.start()].strip() or None, match.groupdict()


def _plain(elem: Element | None, is_html: bool) -> str:
    """Element text, whitespace collapsed; HTML markup removed when the feed escapes HTML into it."""
    if elem is None:
        return ""
    text = "".join(elem.itertext())
    if is_html:  # never for RSS 2.0, whose abstracts may say "p < 0.05 and q > 1"
        text = html.unescape(_HTML_TAG.sub("", text))
    return repair_mojibake(" ".join(text.split()))


def _announce_type(head: str, rdf: dict[str, str] | None) -> str:
    """"new", "cross", "replace" or "replace-cross", from the description or the RDF title."""
    words = head.partition("Announce Type:")[2].split()
    if words:
        return words[0]
    return _RDF_KINDS.get(rdf["kind"].strip(), "") if rdf else ""


def _date(text: str | None) -> datetime | None:
    """An RFC 822 pubDate (or an ISO dc:date) as aware UTC."""
    if not text:
        return None
    try:
        return parsedate_to_datetime(text).astimezone(UTC)
    except (TypeError, ValueError):
        return iso_utc(text)
