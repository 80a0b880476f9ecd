"""PaperCards as the JSON objects Hugging Face's papers API returns. Pure functions, no I/O.

Key order and key names follow real responses of the real service, so that ``huggingface_hub``
(and anything written against huggingface.co) reads them unchanged. Keys the real service omits
when it knows nothing are omitted here too, rather than sent as ``null``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time
from typing import Any

from paperstand.papers.models import Paper
from paperstand.papers.queries import PaperCard
from paperstand.search.highlight import runs

Json = dict[str, Any]


def hf_time(value: datetime | date) -> str:
    """A timestamp the way the real API writes it: ``2026-07-28T00:00:00.000Z`` (UTC, milliseconds)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=UTC)
    elif value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def discussion_id(paper: Paper) -> str:
    """Hugging Face's ``discussionId`` when imported, else a stable 24-hex-digit id in its shape."""
    if paper.discussion_id:
        return paper.discussion_id
    return hashlib.sha1(f"paperstand:{paper.public_id}".encode()).hexdigest()[:24]


def user(username: str | None, fullname: str | None) -> Json | None:
    """A submitter: ``user`` (read by ``huggingface_hub``) and ``name`` (what the real API also sends)."""
    if not username and not fullname:
        return None
    if not username:  # some sources name the submitter without their login
        return {"fullname": fullname, "type": "user"}
    return {"fullname": fullname or username, "user": username, "name": username, "type": "user"}


def _authors(paper: Paper) -> list[Json]:
    return [{"name": name, "hidden": False} for name in paper.authors or []]


def _optional(paper: Paper, card: PaperCard) -> Json:
    """The keys the real API sends only when known, in its order."""
    out: Json = {}
    if paper.project_page:
        out["projectPage"] = paper.project_page
    if paper.github_repo:
        out["githubRepo"] = paper.github_repo
    if paper.ai_summary:
        out["ai_summary"] = paper.ai_summary
    if paper.ai_keywords:
        out["ai_keywords"] = list(paper.ai_keywords)
    if card.github_stars is not None:
        out["githubStars"] = card.github_stars
    if paper.organization:
        out["organization"] = dict(paper.organization)
    if paper.withdrawn:
        # We know that, not when; the last change we saw is the closest honest timestamp.
        out["withdrawnAt"] = hf_time(paper.updated_at or paper.last_changed_at)
    return out


def paper_object(card: PaperCard) -> Json:
    """The inner ``paper`` object (also the whole body of ``GET /api/papers/{id}``, see ``detail``)."""
    paper = card.paper
    out: Json = {"id": paper.public_id, "authors": _authors(paper)}
    # Every paper has a date: without a publication date, the day we first saw it is the closest one.
    out["publishedAt"] = hf_time(paper.published_at or paper.first_seen_at)
    if card.pick is not None:
        out["submittedOnDailyAt"] = hf_time(card.pick.day)
    out["title"] = paper.title
    submitter = user(card.pick.submitted_by, card.pick.submitted_by_name) if card.pick else None
    if submitter is not None:
        out["submittedOnDailyBy"] = submitter
    out["summary"] = paper.abstract or ""
    out["upvotes"] = card.upvotes  # ours plus Hugging Face's: a mirror keeps its numbers
    out["discussionId"] = discussion_id(paper)
    out.update(_optional(paper, card))
    return out


def _listed(card: PaperCard, inner: Json) -> Json:
    """The envelope list endpoints wrap around ``paper``; the client reads ``title`` and links only here."""
    # The real service puts the arXiv date here too (not the featured day), so we do the same.
    out: Json = {"paper": inner, "publishedAt": inner["publishedAt"]}
    out["title"] = inner["title"]
    out["summary"] = inner["summary"]
    if card.paper.thumbnail:
        out["thumbnail"] = card.paper.thumbnail
    out["numComments"] = card.num_comments
    return out


def _top_level_copies(inner: Json) -> Json:
    keys = ("organization", "githubRepo", "githubStars", "projectPage", "ai_summary", "ai_keywords")
    return {k: inner[k] for k in keys if k in inner}


def daily_item(card: PaperCard) -> Json:
    """One element of ``GET /api/daily_papers``."""
    inner = paper_object(card)
    out = _listed(card, inner)
    if "submittedOnDailyBy" in inner:
        out["submittedBy"] = inner["submittedOnDailyBy"]
    out.update(_top_level_copies(inner))
    out["isAuthorParticipating"] = False
    return out


def search_item(card: PaperCard, stems: frozenset[str]) -> Json:
    """One element of ``GET /api/papers/search``, with the query's words (``stems``) marked as the real API does."""
    inner = paper_object(card)
    out = _listed(card, inner)
    out.update(_top_level_copies(inner))
    out["upvoted"] = False
    out["isAuthorParticipating"] = False
    out["highlightedTitle"] = highlight(inner["title"], stems)
    out["highlightedSummary"] = highlight(inner["summary"], stems)
    return out


def detail(card: PaperCard) -> Json:
    """The body of ``GET /api/papers/{id}``: the paper object itself, plus ``numComments``."""
    out = paper_object(card)
    # The real detail has no comment count; the client then reports 0, so we send the one we know.
    out["numComments"] = card.num_comments
    return out


def highlight(text: str, stems: frozenset[str]) -> list[Json]:
    """``text`` as the real API's ``text`` and ``highlight`` runs.

    The words are found by the search page's highlighter (``search.highlight``), so the API marks exactly
    what the page marks; only the shape differs: runs of plain text, for clients that do their own markup.
    """
    return [{"type": "highlight" if hit else "text", "text": piece} for piece, hit in runs(text, stems)]
