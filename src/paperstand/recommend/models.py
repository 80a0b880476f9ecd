"""Explicit ratings and each member's personalisation settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from paperstand.db import Base, UTCDateTime


class PaperRating(Base):
    """A member's 👍 (+1) or 👎 / "not interested" (-1) on a paper, from a page, a digest or the first visit."""

    __tablename__ = "paper_ratings"
    # One rating per member and paper: a later one replaces it.
    __table_args__ = (UniqueConstraint("member_id", "paper_id", name="uq_paper_ratings_member_paper"),
                      Index("ix_paper_ratings_member_created", "member_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(Integer)
    # "page", "digest", "start" (the cold-start rating) or "api".
    source: Mapped[str] = mapped_column(String(16), default="page")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Taste(Base):
    """A member's personalisation settings: paused or not, the categories picked at the first visit."""

    __tablename__ = "tastes"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # Comma-separated arXiv categories chosen at the first visit ("" before it).
    categories: Mapped[str] = mapped_column(Text, default="")
    # Signals older than this are ignored (set by "reset"), so a reset needs no mass delete to take effect.
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
