"""Incremental, hardened XML reading shared by the arXiv parsers.

Elements are yielded as soon as they close, so in a truncated or corrupt file every record before
the break still lands; the break itself becomes one rejection with its line and column.
defusedxml refuses entity expansion and external references (billion laughs, XXE).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from paperstand.ingest.record import Rejection

# A UTF-8 lead byte read as Latin-1 ("Ã", "Å", ...) followed by a continuation byte read the same way.
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf]")


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
    except LookupError as exc:  # an encoding declaration Python does not know
        yield Rejection("XML declaration", f"unsupported encoding ({exc})")


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Latin-1 once ("JosÃ©" → "José").

    Some recorders of arXiv API responses saved them that way. The round trip only succeeds when
    every non-ASCII character fits the pattern, so correctly encoded text is never changed.
    """
    if not _MOJIBAKE.search(text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def text_of(elem: Element | None) -> str | None:
    """All text inside an element, whitespace collapsed; ``None`` when absent or empty."""
    if elem is None:
        return None
    text = " ".join("".join(elem.itertext()).split())
    return repair_mojibake(text) if text else None
