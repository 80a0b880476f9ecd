"""Paper links and author lines: one place, and no local ``ps-`` key ever becomes an arXiv link."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from paperstand.papers.ids import is_arxiv_id, local_key_for, split_arxiv_id
from paperstand.papers.links import (
    arxiv_abs_url,
    arxiv_pdf_url,
    author_line,
    feed_path,
    http_url,
    paper_path,
    paper_url,
    period_path,
)
from paperstand.papers.periods import parse_day, parse_month, parse_week


@dataclass
class P:
    """Just what links read of a paper."""

    arxiv_id: str | None = None
    local_key: str | None = None
    pdf_url: str | None = None

    @property
    def public_id(self) -> str:
        return self.arxiv_id or self.local_key or "1"


ARXIV = P(arxiv_id="2501.00001")
OLD_STYLE = P(arxiv_id="hep-th/9901001")
LOCAL = P(local_key="ps-5427b5a14ccc")


def test_pages_on_this_site() -> None:
    assert paper_path(ARXIV) == "/papers/2501.00001"
    assert paper_path(LOCAL) == "/papers/ps-5427b5a14ccc"
    assert paper_url(LOCAL, "https://papers.example.org/") == "https://papers.example.org/papers/ps-5427b5a14ccc"
    assert paper_url(OLD_STYLE, "http://127.0.0.1:8123") == "http://127.0.0.1:8123/papers/hep-th/9901001"


def test_arxiv_links_only_for_real_arxiv_ids() -> None:
    assert arxiv_abs_url(ARXIV) == "https://arxiv.org/abs/2501.00001"
    assert arxiv_abs_url(ARXIV, 3) == "https://arxiv.org/abs/2501.00001v3"
    assert arxiv_abs_url(OLD_STYLE) == "https://arxiv.org/abs/hep-th/9901001"
    assert arxiv_pdf_url(ARXIV) == "https://arxiv.org/pdf/2501.00001"
    assert arxiv_abs_url(LOCAL) is None and arxiv_pdf_url(LOCAL) is None
    # Even a local key stored where an arXiv id belongs is not one.
    for bogus in ("ps-5427b5a14ccc", "", "2501.00001v2", "javascript:alert(1)", "2501.00001 x"):
        assert arxiv_abs_url(P(arxiv_id=bogus)) is None, bogus


def test_pdf_prefers_a_safe_stored_link() -> None:
    assert arxiv_pdf_url(P(arxiv_id="2501.00001", pdf_url="https://example.org/a.pdf")) == "https://example.org/a.pdf"
    assert arxiv_pdf_url(P(arxiv_id="2501.00001", pdf_url="javascript:alert(1)")) == "https://arxiv.org/pdf/2501.00001"
    assert arxiv_pdf_url(P(local_key="ps-1", pdf_url="https://example.org/b.pdf")) == "https://example.org/b.pdf"
    assert http_url(" https://x.org/p ") == "https://x.org/p" and http_url("ftp://x.org") is None
    assert http_url("https://") is None and http_url(None) is None


@pytest.mark.parametrize(("authors", "line"), [
    ([], ""),
    (None, ""),
    (["A"], "A"),
    (["A", "B", "C", "D"], "A, B, C, D"),  # one more than three: no shorter as "et al."
    (["A", "B", "C", "D", "E"], "A, B, C et al. (5 authors)"),
])
def test_author_line(authors: list[str] | None, line: str) -> None:
    assert author_line(authors) == line


def test_author_line_limit() -> None:
    assert author_line(["A", "B", "C"], limit=1) == "A et al. (3 authors)"


def test_period_pages_and_feeds() -> None:
    assert period_path(parse_day("2025-03-11")) == "/papers/date/2025-03-11"
    assert period_path(parse_week("2025-W11"), page=2) == "/papers/week/2025-W11?p=2"
    assert feed_path(parse_month("2025-03"), "atom") == "/feeds/month/2025-03.atom"


def test_ids() -> None:
    assert split_arxiv_id("https://arxiv.org/abs/2501.00001v2") == ("2501.00001", 2)
    assert split_arxiv_id("oai:arXiv.org:hep-th/9901001") == ("hep-th/9901001", None)
    assert split_arxiv_id("ps-5427b5a14ccc") is None
    assert local_key_for("Attention Is All You Need") == local_key_for("attention is all you need!")
    assert local_key_for("A title").startswith("ps-") and len(local_key_for("A title")) == 15
    assert is_arxiv_id("2501.00001") and not is_arxiv_id("ps-2501.00001") and not is_arxiv_id(None)
