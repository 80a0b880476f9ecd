"""How many comments papers have, for lists of cards: one grouped query, whatever the page size.

Apart from ``comments.py`` so that the papers read side can count without importing the comment
service (which itself reads papers).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from paperstand.community.models import Comment


def visible() -> ColumnElement[bool]:
    """The condition of a comment everyone can read: neither deleted by its author nor hidden by a moderator."""
    return and_(Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))


def comment_counts(session: Session, paper_ids: Collection[int]) -> dict[int, int]:
    """Visible local comments per paper id (papers without any are left out)."""
    if not paper_ids:
        return {}
    rows = session.execute(select(Comment.paper_id, func.count()).where(Comment.paper_id.in_(list(paper_ids)),
                                                                         visible())
                           .group_by(Comment.paper_id))
    return {int(pid): int(n) for pid, n in rows}
