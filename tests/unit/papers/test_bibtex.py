"""BibTeX entries: exact text for arXiv papers and for papers known only by title."""

from __future__ import annotations

from datetime import UTC, datetime

from paperstand.papers.bibtex import bibtex, citation_key
from paperstand.papers.models import Paper


def _paper(**kw: object) -> Paper:
    base: dict[str, object] = dict(
        title="Attention Is All You Need", arxiv_id="1706.03762", primary_category="cs.CL",
        authors=["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"],
        published_at=datetime(2017, 6, 12, 17, 57, tzinfo=UTC), journal_ref=None)
    base.update(kw)
    return Paper(**base)


def test_arxiv_paper() -> None:
    assert bibtex(_paper()) == (
        "@misc{vaswani2017attention,\n"
        "  title = {Attention Is All You Need},\n"
        "  author = {Ashish Vaswani and Noam Shazeer and Niki Parmar},\n"
        "  year = {2017},\n"
        "  eprint = {1706.03762},\n"
        "  archivePrefix = {arXiv},\n"
        "  primaryClass = {cs.CL},\n"
        "  url = {https://arxiv.org/abs/1706.03762}\n"
        "}")


def test_paper_without_arxiv_id_gets_title_author_year_note() -> None:
    paper = _paper(arxiv_id=None, primary_category=None, title="The Art of Counting Sheep",
                   authors=["Zoë Müller"], published_at=datetime(2024, 2, 1, tzinfo=UTC))
    assert bibtex(paper) == (
        "@misc{muller2024art,\n"
        "  title = {The Art of Counting Sheep},\n"
        "  author = {Zoë Müller},\n"
        "  year = {2024},\n"
        "  note = {Preprint}\n"
        "}")


def test_listing_paper_with_title_only() -> None:
    paper = _paper(arxiv_id=None, primary_category=None, authors=[], published_at=None,
                   title="On Lanterns", journal_ref="Cave Robotics 3 (2025)")
    assert bibtex(paper) == ("@misc{anonlanterns,\n  title = {On Lanterns},\n"
                             "  note = {Cave Robotics 3 (2025)}\n}")


def test_year_from_new_style_id_and_specials_escaped() -> None:
    paper = _paper(published_at=None, arxiv_id="2403.01234", title="Q&A at 50% {cost", authors=["Li Wei"])
    entry = bibtex(paper)
    assert citation_key(paper) == "wei2024qa"
    assert "  title = {Q\\&A at 50\\% cost},\n" in entry
    assert "  year = {2024},\n" in entry
