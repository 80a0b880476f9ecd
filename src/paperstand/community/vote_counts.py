"""Counting upvotes for pages: local votes of many papers in one query, and which of them a member cast.

Kept apart from ``votes`` (the writes) so the paper read side (``papers.queries``) can count without
importing the service, which itself resolves paper ids through ``papers.queries``.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session

from paperstand.community.models import Vote
from paperstand.papers.models import Paper


def local_counts(session: Session, paper_ids: Collection[int]) -> dict[int, int]:
    """Members' upvotes per paper, for all ``paper_ids`` in one query (papers without votes are absent)."""
    if not paper_ids:
        return {}
    rows = session.execute(select(Vote.paper_id, func.count()).where(Vote.paper_id.in_(set(paper_ids)))
                           .group_by(Vote.paper_id))
    return {pid: int(n) for pid, n in rows}


def voted_among(session: Session, *, member_id: int, paper_ids: Collection[int]) -> set[int]:
    """Which of ``paper_ids`` ``member_id`` has upvoted (the pressed buttons of a page), in one query."""
    if not paper_ids:
        return set()
    rows = session.execute(select(Vote.paper_id).where(Vote.member_id == member_id,
                                                       Vote.paper_id.in_(set(paper_ids))))
    return set(rows.scalars())


def count_column() -> ScalarSelect[int]:
    """A paper's local upvotes as a correlated subquery, for ORDER BY (one index lookup per row on ``paper_id``)."""
    return (select(func.count()).select_from(Vote).where(Vote.paper_id == Paper.id)
            .correlate(Paper).scalar_subquery())
