"""Incremental, hardened XML reading shared by the arXiv parsers.

Elements are yielded as soon as they close, so in a truncated or corrupt file every record before
the break still lands; the break itself becomes one rejection with its line and column.
defusedxml refuses entity expansion and external references (billion laughs, XXE).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from paperstand.ingest.record import Rejection


def closed_elements(stream: BinaryIO, tags: frozenset[str]) -> Iterator[Element | Rejection]:
    """Yield each element whose tag is in ``tags`` when it closes; then clear it to bound memory."""
    try:
        for _event, elem in iterparse(stream, events=("end",)):
            if elem.tag in tags:
                yield elem
                elem.clear()
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        reason = str(exc).split(":", 1)[0]
        yield Rejection(f"line {line} column {column + 1}",
                        f"malformed XML ({reason}); records before this point were kept")
    except DefusedXmlException as exc:
        yield Rejection("document", f"refused unsafe XML ({exc})")


def text_of(elem: Element | None) -> str | None:
    """All text inside an element, whitespace collapsed; ``None`` when absent or empty."""
    if elem is None:
        return None
    text = " ".join("".join(elem.itertext()).split())
    return text or None
