"""Vote counts filled into pages at serve time, so that a vote stales no cached page.

Templates and the API print a marker where a paper's vote count goes (``vote_marker``); the live-counts
middleware (``web/live.py``) replaces every marker of an answer with the count of that moment, read in
one query for all the answer's papers. A cached page therefore stays valid across votes: only pages whose
*order* depends on votes (featured lists sorted by upvotes, trending) are keyed by counters votes move.

Markers cannot be forged by stored text: in HTML they contain a raw ``<`` (escaped everywhere text is
printed, and removed by the comment sanitiser), and in JSON they contain ``\\u001e``, which only a control
character in a string produces (ingest strips those, the request guard refuses them).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine

from paperstand.site.version import VersionReader

# <RS><v:paper id:base><RS>: the paper's local votes plus ``base`` (its Hugging Face upvotes, where the
# number shown is their sum). In JSON the same marker is a string value, quotes included, and becomes a
# bare number. One pattern finds both forms in one pass.
MARK = re.compile(rb'\x1e<v:(\d{1,12}):(\d{1,12})>\x1e|"\\u001e<v:(\d{1,12}):(\d{1,12})>\\u001e"')
_PROBES = (b"\x1e<v:", b"\\u001e<v:")
# Papers per counting query: more than any page shows (100 per API page).
MAX_PAPERS = 500

Mark = tuple[int, int, int, int]  # start, end, paper id, base
# The header a stored answer carries its marks in (the page cache adds it, the live layer removes it).
MARKS_HEADER = "x-live-marks"


def vote_marker(paper_id: int, base: int = 0) -> str:
    """The marker for "paper ``paper_id``'s local vote count, plus ``base``"."""
    return f"\x1e<v:{int(paper_id)}:{max(0, int(base))}>\x1e"


def has_marks(body: bytes) -> bool:
    """Whether an answer holds any vote marker (a quick scan before any parsing)."""
    return any(probe in body for probe in _PROBES)


def find_marks(body: bytes) -> list[Mark]:
    """Where an answer's markers are, and what each counts."""
    marks = []
    for m in MARK.finditer(body):
        paper, base = (m.group(1), m.group(2)) if m.group(1) is not None else (m.group(3), m.group(4))
        marks.append((m.start(), m.end(), int(paper), int(base)))
    return marks


def encode_marks(marks: list[Mark]) -> bytes:
    """Marks as a header value, so a stored answer carries them and a hit needs no scan ("-": none)."""
    return b",".join(b"%d:%d:%d:%d" % mark for mark in marks) or b"-"


def decode_marks(value: bytes) -> list[Mark]:
    """The inverse of ``encode_marks``; raises ``ValueError`` on anything else."""
    if value == b"-":
        return []
    out = []
    for part in value.split(b","):
        start, end, paper, base = (int(x) for x in part.split(b":"))
        out.append((start, end, paper, base))
    return out


def marked_papers(body: bytes) -> set[int]:
    """The papers whose counts an answer needs."""
    return {paper for _, _, paper, _ in find_marks(body)}


def fill(body: bytes, counts: dict[int, int], marks: list[Mark] | None = None) -> bytes:
    """``body`` with every marker (``marks``, found when not given) replaced by its paper's count plus base."""
    pieces: list[bytes] = []
    at = 0
    for start, end, paper, base in find_marks(body) if marks is None else marks:
        pieces += (body[at:start], b"%d" % (counts.get(paper, 0) + base))
        at = end
    pieces.append(body[at:])
    return b"".join(pieces)


_VOTES_VERSION = "SELECT version FROM data_version WHERE id = 4"


class TallyReader(VersionReader):
    """Counts votes of many papers in one query, on a dedicated autocommit connection (as the versions)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._param = "?" if engine.dialect.name == "sqlite" else "%s"

    def votes_version(self) -> int | None:
        """The ``votes`` counter (moved by every vote written or removed), or None before migration 0019."""
        rows: list[Any] = self._query(_VOTES_VERSION, [])
        return int(rows[0][0]) if rows else None

    def counts(self, paper_ids: set[int]) -> dict[int, int]:
        """Local votes per paper of ``paper_ids`` (papers without votes are left out: they count 0).

        One query per ``MAX_PAPERS`` papers: one page's papers fit in one, and a shared read for many
        pages at once (``paperstand.web.coalesce``) takes a few.
        """
        ids = sorted(paper_ids)
        found: dict[int, int] = {}
        for start in range(0, len(ids), MAX_PAPERS):
            part = ids[start:start + MAX_PAPERS]
            marks = ", ".join([self._param] * len(part))
            sql = f"SELECT paper_id, COUNT(*) FROM votes WHERE paper_id IN ({marks}) GROUP BY paper_id"
            rows: list[Any] = self._query(sql, part)
            found.update((int(paper), int(n)) for paper, n in rows)
        return found
