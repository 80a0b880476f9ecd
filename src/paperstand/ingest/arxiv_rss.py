"""rss.arxiv.org category feeds (RSS 2.0, and the older RSS 1.0/RDF layout).

Each item's description reads "arXiv:2604.21935v1 Announce Type: new \\nAbstract: ...": the id and
version come from its first line, the abstract from the text after "Abstract:".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from xml.etree.ElementTree import Element

from paperstand.ingest.record import PaperRecord, ParseItem, Rejection, clean_text, split_arxiv_id
from paperstand.ingest.xmlparse import closed_elements, text_of

SOURCE = "arxiv-rss"
DC = "{http://purl.org/dc/elements/1.1/}"
ARXIV = "{http://arxiv.org/schemas/atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
ITEM_TAGS = frozenset({"item", RSS1 + "item"})
_ABSTRACT = re.compile(r"Abstract:\s*", re.IGNORECASE)


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
    found = item.find(tag)
    return found if found is not None else item.find(RSS1 + tag)


def _item(item: Element, number: int) -> ParseItem:
    link = text_of(_child(item, "link")) or ""
    where = f"item {number}" + (f" ({link})" if link else "")
    title = text_of(_child(item, "title"))
    desc = _child(item, "description")
    description = "".join(desc.itertext()) if desc is not None else ""
    match = _ABSTRACT.search(description)
    head, abstract = (description[:match.start()], description[match.end():]) if match else (description, "")
    parsed = split_arxiv_id(head) if head.strip().startswith("arXiv:") else split_arxiv_id(link)
    if not title:
        return Rejection(where, "no title")
    if parsed is None:
        return Rejection(where, "no arXiv id in link or description")
    creators = text_of(item.find(DC + "creator")) or ""
    version = parsed[1] or _version_in(head)
    return PaperRecord(
        source=SOURCE, title=title, arxiv_id=parsed[0], version=version,
        authors=[a.strip() for a in creators.split(",") if a.strip()],
        abstract=clean_text(abstract if abstract else description),
        categories=[c for e in item.findall("category") if (c := text_of(e))],
        published_at=_date(text_of(_child(item, "pubDate")) or text_of(item.find(DC + "date"))),
        license=text_of(item.find(DC + "rights")), location=where,
    )


def _version_in(text: str) -> int | None:
    match = re.search(r"v(\d+)\b", text)
    return int(match.group(1)) if match else None


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text).astimezone(UTC)
    except (TypeError, ValueError):
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
