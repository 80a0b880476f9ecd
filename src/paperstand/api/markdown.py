"""The paper page as Markdown (``GET /papers/{id}.md``), for tools and language models. Pure."""

from __future__ import annotations

import re

from paperstand.api.serialize import hf_time
from paperstand.papers.bibtex import bibtex
from paperstand.papers.links import arxiv_abs_url, arxiv_pdf_url, http_url
from paperstand.papers.queries import PaperCard

# Characters that would start Markdown markup inside a line of plain text.
_INLINE = re.compile(r"([\\`*_\[\]<>])")


def _plain(text: str) -> str:
    """Escape inline markup so titles and names print as written (abstracts stay raw for their LaTeX)."""
    return _INLINE.sub(r"\\\1", " ".join(text.split()))


def _link(label: str, url: str) -> str:
    # Angle brackets keep URLs with parentheses or spaces in one piece.
    return f"[{_plain(label)}](<{url}>)"


def _facts(card: PaperCard) -> list[str]:
    """The bullet list under the title: ids, links, dates and signals."""
    paper = card.paper
    lines = []
    abs_link, pdf = arxiv_abs_url(paper), arxiv_pdf_url(paper)
    if abs_link and paper.arxiv_id:
        lines.append(f"- arXiv: {_link(paper.arxiv_id, abs_link)}")
    if pdf:
        lines.append(f"- PDF: <{pdf}>")
    if paper.published_at is not None:
        lines.append(f"- Published: {paper.published_at.date().isoformat()}")
    if card.pick is not None:
        by = card.pick.submitted_by_name or card.pick.submitted_by
        lines.append(f"- Featured: {card.pick.day.isoformat()}" + (f" (submitted by {_plain(by)})" if by else ""))
    lines.append(f"- Upvotes: {card.upvotes}")
    lines.append(f"- Comments: {card.num_comments}")
    repo = http_url(paper.github_repo)
    if repo:
        stars = f" ({card.github_stars} stars)" if card.github_stars is not None else ""
        lines.append(f"- Code: <{repo}>{stars}")
    project = http_url(paper.project_page)
    if project:
        lines.append(f"- Project page: <{project}>")
    if paper.organization:
        org = paper.organization.get("fullname") or paper.organization.get("name")
        if org:
            lines.append(f"- Organization: {_plain(str(org))}")
    if paper.withdrawn:
        lines.append(f"- Withdrawn (as of {hf_time(paper.updated_at or paper.last_changed_at)[:10]})")
    return lines


def paper_markdown(card: PaperCard) -> str:
    """Title, authors, facts, abstract, AI summary and BibTeX of one paper."""
    paper = card.paper
    parts = [f"# {_plain(paper.title)}", ""]
    if paper.authors:
        parts += [f"**Authors:** {', '.join(_plain(a) for a in paper.authors)}", ""]
    parts += [*_facts(card), "", "## Abstract", "", paper.abstract or "No abstract is stored for this paper.", ""]
    if paper.ai_summary or paper.ai_keywords:
        parts += ["## AI summary", ""]
        if paper.ai_summary:
            parts += [paper.ai_summary, ""]
        if paper.ai_keywords:
            parts += [f"Keywords: {', '.join(_plain(k) for k in paper.ai_keywords)}", ""]
    parts += ["## BibTeX", "", "```bibtex", bibtex(paper), "```", ""]
    return "\n".join(parts)
