"""The plain listing format of a Daily Papers page capture: header lines, then title + abstract pairs.

Paragraphs are separated by blank lines. The header ("new", "Subscribe", "Mar 11", ...) is every
paragraph before the first title, where a title is a single line followed by a paragraph that is
long enough to be an abstract. Records carry no arXiv id; they get a stable key from the title.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from paperstand.ingest.record import PaperRecord, ParseItem, Rejection, clean_text

SOURCE = "listing"
# A title is one line of at most this many characters; arXiv caps titles well below it.
MAX_TITLE_CHARS = 400
# An abstract has at least this many characters; shorter paragraphs are headers or titles.
MIN_ABSTRACT_CHARS = 100


@dataclass
class _Paragraph:
    line: int  # 1-based line number of its first line
    lines: list[str]
    bad_utf8: str | None = None

    @property
    def text(self) -> str:
        return " ".join(s.strip() for s in self.lines)

    def is_title(self) -> bool:
        return len(self.lines) == 1 and len(self.text) <= MAX_TITLE_CHARS

    def is_abstract(self) -> bool:
        return len(self.text) >= MIN_ABSTRACT_CHARS


def _paragraphs(stream: BinaryIO) -> list[_Paragraph]:
    out: list[_Paragraph] = []
    current: _Paragraph | None = None
    for number, raw in enumerate(stream, start=1):
        bad: str | None = None
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, bad = raw.decode("utf-8", "replace"), f"not valid UTF-8 (byte {exc.start + 1} of line {number})"
        if not line.strip():
            current = None
            continue
        if current is None:
            current = _Paragraph(number, [])
            out.append(current)
        current.lines.append(line.rstrip("\r\n"))
        current.bad_utf8 = current.bad_utf8 or bad
    return out


def _first_title(paras: list[_Paragraph]) -> int:
    for i in range(len(paras) - 1):
        if paras[i].is_title() and paras[i + 1].is_abstract() and not paras[i].is_abstract():
            return i
    return 0


def parse(stream: BinaryIO, name: str) -> Iterator[ParseItem]:
    """Yield one record per title + abstract pair, and a rejection per malformed pair."""
    paras = _paragraphs(stream)
    i, number = _first_title(paras), 0
    while i < len(paras):
        title, number = paras[i], number + 1
        where = f"record {number} (line {title.line})"
        if not title.is_title():
            yield Rejection(where, f"expected a title line, found a paragraph of {len(title.text)} "
                                   "characters (an abstract without its title?)")
            i += 1
            continue
        abstract = paras[i + 1] if i + 1 < len(paras) else None
        if abstract is None or not abstract.is_abstract():
            yield Rejection(where, f"title {title.text[:60]!r} has no abstract paragraph after it")
            i += 1
            continue
        bad = title.bad_utf8 or abstract.bad_utf8
        if bad:
            yield Rejection(where, bad)
        else:
            yield PaperRecord(source=SOURCE, title=clean_text(title.text) or "",
                              abstract=clean_text(abstract.text), location=where)
        i += 2
