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
# number shown is their sum).
HTML_MARK = re.compile(rb"\x1e<v:(\d{1,12}):(\d{1,12})>\x1e")
# The same marker as a JSON string value, quotes included: replaced by a bare number.
JSON_MARK = re.compile(rb'"\\u001e<v:(\d{1,12}):(\d{1,12})>\\u001e"')
_PROBES = (b"\x1e<v:", b"\\u001e<v:")
# Papers per answer whose counts are read: more than any page shows (100 per API page).
MAX_PAPERS = 500


def vote_marker(paper_id: int, base: int = 0) -> str:
    """The marker for "paper ``paper_id``'s local vote count, plus ``base``"."""
    return f"\x1e<v:{int(paper_id)}:{max(0, int(base))}>\x1e"


def has_marks(body: bytes) -> bool:
    """Whether an answer holds any vote marker (a quick scan before any parsing)."""
    return any(probe in body for probe in _PROBES)


def marked_papers(body: bytes) -> set[int]:
    """The papers whose counts an answer needs."""
    found = {int(m.group(1)) for m in HTML_MARK.finditer(body)}
    found.update(int(m.group(1)) for m in JSON_MARK.finditer(body))
    return found


def fill(body: bytes, counts: dict[int, int]) -> bytes:
    """``body`` with every marker replaced by the paper's count plus its base."""
    def number(match: re.Match[bytes]) -> bytes:
        return str(counts.get(int(match.group(1)), 0) + int(match.group(2))).encode()

    return JSON_MARK.sub(number, HTML_MARK.sub(number, body))


class TallyReader(VersionReader):
    """Counts votes of many papers in one query, on a dedicated autocommit connection (as the versions)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._param = "?" if engine.dialect.name == "sqlite" else "%s"

    def counts(self, paper_ids: set[int]) -> dict[int, int]:
        """Local votes per paper, for at most ``MAX_PAPERS`` of ``paper_ids`` (the rest count 0)."""
        ids = sorted(paper_ids)[:MAX_PAPERS]
        if not ids:
            return {}
        marks = ", ".join([self._param] * len(ids))
        sql = f"SELECT paper_id, COUNT(*) FROM votes WHERE paper_id IN ({marks}) GROUP BY paper_id"
        rows: list[Any] = self._query(sql, ids)
        return {int(paper): int(n) for paper, n in rows}
