"""The stored trending score of each paper, with the parts its "why" line shows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from paperstand.db import Base, UTCDateTime


class TrendingScore(Base):
    """``score`` is exactly ``votes_part + stars_part + comments_part + age_part`` (what the card prints)."""

    __tablename__ = "trending_scores"
    __table_args__ = (Index("ix_trending_scores_score", "score"),)

    # No foreign key (migration 0025): checking it cost half of a bulk run's writes; a row whose paper is
    # gone is simply not scored, and removed, by the next bulk run.
    paper_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    votes: Mapped[float] = mapped_column(Float, default=0.0)  # counted votes (a young account's counts half)
    votes_part: Mapped[float] = mapped_column(Float, default=0.0)
    stars: Mapped[int] = mapped_column(Integer, default=0)
    stars_part: Mapped[float] = mapped_column(Float, default=0.0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    comments_part: Mapped[float] = mapped_column(Float, default=0.0)
    age_hours: Mapped[float] = mapped_column(Float, default=0.0)
    age_part: Mapped[float] = mapped_column(Float, default=0.0)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The oldest counted vote (migration 0015): the card's "14 votes in 2 days" is ``computed_at`` minus this.
    votes_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
