"""Every link to a paper, in one place: its page here, arXiv's abstract and PDF, and its author line. Pure.

Pages, feeds, the API and mail all take their links from here, so a paper known only by a local
``ps-…`` key can never be given an arXiv address.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from urllib.parse import urlsplit

from paperstand.papers.ids import is_arxiv_id
from paperstand.papers.periods import Period

ARXIV = "https://arxiv.org"
# Cards and mail list this many authors before "et al."; the paper page lists them all.
SHOWN_AUTHORS = 3


class Linked(Protocol):
    """What links need of a paper (a stored ``Paper`` has it all)."""

    @property
    def arxiv_id(self) -> str | None: ...
    @property
    def public_id(self) -> str: ...
    @property
    def pdf_url(self) -> str | None: ...


def http_url(url: str | None) -> str | None:
    """The URL if it is http(s), else ``None``: stored links come from outside and may be ``javascript:``."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def paper_path(paper: Linked) -> str:
    """The address of a paper's page on this site, relative to its root (``/papers/2501.00001``)."""
    return f"/papers/{paper.public_id}"


def paper_url(paper: Linked, base_url: str) -> str:
    """The absolute address of a paper's page, for feeds and mail."""
    return base_url.rstrip("/") + paper_path(paper)


def arxiv_abs_url(paper: Linked, version: int | None = None) -> str | None:
    """arXiv's abstract page (of one version, if given), only for a real arXiv id."""
    if not is_arxiv_id(paper.arxiv_id):
        return None
    return f"{ARXIV}/abs/{paper.arxiv_id}" + (f"v{version}" if version else "")


def arxiv_pdf_url(paper: Linked) -> str | None:
    """The PDF: the stored link when there is a safe one, else arXiv's for a real arXiv id."""
    stored = http_url(paper.pdf_url)
    if stored:
        return stored
    return f"{ARXIV}/pdf/{paper.arxiv_id}" if is_arxiv_id(paper.arxiv_id) else None


def author_line(authors: Sequence[str] | None, limit: int = SHOWN_AUTHORS) -> str:
    """The first few authors, then "et al." and the total when there are more.

    One more name than ``limit`` is shown in full: "et al. (4 authors)" would be no shorter.
    """
    names = list(authors or [])
    if len(names) <= limit + 1:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} et al. ({len(names)} authors)"


def _segment(period: Period) -> str:
    return "date" if period.kind == "day" else period.kind


def period_path(period: Period, page: int = 1) -> str:
    """The page of a period on this site, optionally at page ``page``."""
    base = f"/papers/{_segment(period)}/{period.label}"
    return base if page <= 1 else f"{base}?p={page}"


def feed_path(period: Period, fmt: str = "rss") -> str:
    """The RSS or Atom feed of a period's page."""
    return f"/feeds/{_segment(period)}/{period.label}.{fmt}"
