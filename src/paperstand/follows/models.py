"""What a member follows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from paperstand.db import Base, UTCDateTime

# The kinds of follow: an author name as printed on papers, a member (whose claimed papers count), an arXiv
# category or archive ("cs.CL", "cs"), and a saved search (any query-language string).
FOLLOW_KINDS = ("author", "member", "category", "search")


class Follow(Base):
    """One member following one author, member, category or saved search."""

    __tablename__ = "follows"
    # ``key`` is ``label`` normalised for matching (an author's name folded, a category lower-cased, a query
    # as typed): one follow per member, kind and key, so a repeated click changes nothing.
    __table_args__ = (UniqueConstraint("member_id", "kind", "key", name="uq_follows_member_kind_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(500))
    label: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
