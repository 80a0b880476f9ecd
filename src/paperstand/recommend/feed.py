"""Recommendations as plain data, for the JSON API and for digests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.papers.models import Paper
from paperstand.recommend.service import Recommendation


def _iso(paper: Paper) -> str | None:
    at = paper.published_at
    return at.isoformat().replace("+00:00", "Z") if at is not None else None


def recommendation_items(session: Session, recs: list[Recommendation]) -> list[dict[str, Any]]:
    """One JSON object per recommendation (API field names), in order."""
    ids = [r.paper_id for r in recs]
    papers = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(ids)))} if ids else {}
    return [{"id": papers[r.paper_id].public_id, "title": papers[r.paper_id].title,
             "publishedAt": _iso(papers[r.paper_id]), "categories": list(papers[r.paper_id].categories or []),
             "score": round(r.score, 4), "reasons": r.reasons} for r in recs if r.paper_id in papers]
