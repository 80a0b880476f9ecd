"""PaperCards as the JSON objects Hugging Face's papers API returns. Pure functions, no I/O.

Key order and key names follow real responses of the real service, so that ``huggingface_hub``
(and anything written against huggingface.co) reads them unchanged. Keys the real service omits
when it knows nothing are omitted here too, rather than sent as ``null``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from paperstand.community.claims import VerifiedAuthor
from paperstand.community.tallies import vote_marker
from paperstand.papers.models import DailyPick, Paper
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


def submitter_of(pick: DailyPick) -> Json | None:
    """Who put a pick on its day: a member of this site (with ``_id``, their member id), or as imported."""
    if pick.member_id is None or not pick.submitted_by:
        return user(pick.submitted_by, pick.submitted_by_name)
    name = pick.submitted_by
    return {"_id": str(pick.member_id), "fullname": pick.submitted_by_name or name, "user": name, "name": name,
            "type": "user"}


# Where the real service keeps avatars of its users; ours have none, so all share the default picture.
AVATAR = "/static/avatar.svg"
# The real service's status of an author whose account claimed the name and was confirmed.
CLAIMED_VERIFIED = "claimed_verified"


def author_user(author: VerifiedAuthor) -> Json:
    """The member verified as an author, in the shape of the real service's ``authors[].user``."""
    return {"_id": str(author.member_id), "avatarUrl": AVATAR, "isPro": False, "fullname": author.display_name,
            "user": author.name, "name": author.name, "type": "user"}


def _authors(paper: Paper, verified: Mapping[int, VerifiedAuthor] | None) -> list[Json]:
    out: list[Json] = []
    for i, name in enumerate(paper.authors or []):
        author: Json = {"name": name}
        if verified and (who := verified.get(i)) is not None:
            author.update(status=CLAIMED_VERIFIED, statusLastChangedAt=hf_time(who.verified_at),
                          user=author_user(who))
        author["hidden"] = False
        out.append(author)
    return out


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


def paper_object(card: PaperCard, verified: Mapping[int, VerifiedAuthor] | None = None) -> Json:
    """The inner ``paper`` object (also the whole body of ``GET /api/papers/{id}``, see ``detail``).

    ``verified``: the paper's verified authors by position (``community.claims.verified_authors``).
    """
    paper = card.paper
    out: Json = {"id": paper.public_id, "authors": _authors(paper, verified)}
    # Every paper has a date: without a publication date, the day we first saw it is the closest one.
    out["publishedAt"] = hf_time(paper.published_at or paper.first_seen_at)
    if card.pick is not None:
        # A local submission says when it was made; an imported pick has only its day.
        out["submittedOnDailyAt"] = hf_time(card.pick.submitted_at or card.pick.day)
    out["title"] = paper.title
    submitter = submitter_of(card.pick) if card.pick else None
    if submitter is not None:
        out["submittedOnDailyBy"] = submitter
    out["summary"] = paper.abstract or ""
    # Hugging Face's upvotes plus ours, counted when the answer is sent (``community/tallies``), so a mirror
    # of Hugging Face keeps its numbers and a cached answer still shows a vote cast a moment ago.
    out["upvotes"] = vote_marker(paper.id, card.hf_upvotes or 0)
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
    out["numComments"] = comment_total(card)
    return out


def comment_total(card: PaperCard) -> int:
    """``numComments``: the visible comments posted here plus those imported from Hugging Face (kept apart)."""
    return card.local_comments + card.num_comments


def _top_level_copies(inner: Json) -> Json:
    keys = ("organization", "githubRepo", "githubStars", "projectPage", "ai_summary", "ai_keywords")
    return {k: inner[k] for k in keys if k in inner}


def daily_item(card: PaperCard, verified: Mapping[int, VerifiedAuthor] | None = None) -> Json:
    """One element of ``GET /api/daily_papers``."""
    inner = paper_object(card, verified)
    out = _listed(card, inner)
    if "submittedOnDailyBy" in inner:
        out["submittedBy"] = inner["submittedOnDailyBy"]
    out.update(_top_level_copies(inner))
    out["isAuthorParticipating"] = False
    return out


def search_item(card: PaperCard, stems: frozenset[str], verified: Mapping[int, VerifiedAuthor] | None = None) -> Json:
    """One element of ``GET /api/papers/search``, with the query's words (``stems``) marked as the real API does."""
    inner = paper_object(card, verified)
    out = _listed(card, inner)
    out.update(_top_level_copies(inner))
    out["upvoted"] = False
    out["isAuthorParticipating"] = False
    out["highlightedTitle"] = highlight(inner["title"], stems)
    out["highlightedSummary"] = highlight(inner["summary"], stems)
    return out


def detail(card: PaperCard, verified: Mapping[int, VerifiedAuthor] | None = None) -> Json:
    """The body of ``GET /api/papers/{id}``: the paper object itself, plus ``numComments``."""
    out = paper_object(card, verified)
    # The real detail has no comment count; the client then reports 0, so we send the one we know.
    out["numComments"] = comment_total(card)
    return out


def highlight(text: str, stems: frozenset[str]) -> list[Json]:
    """``text`` as the real API's ``text`` and ``highlight`` runs.

    The words are found by the search page's highlighter (``search.highlight``), so the API marks exactly
    what the page marks; only the shape differs: runs of plain text, for clients that do their own markup.
    """
    return [{"type": "highlight" if hit else "text", "text": piece} for piece, hit in runs(text, stems)]
