"""Explicit ratings, each member's personalisation settings and their trained taste model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
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


class TasteModel(Base):
    """A member's trained linear model over paper embeddings, with the fingerprint of the signals it learned."""

    __tablename__ = "taste_models"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    # "classifier" (logistic regression) or "centroid" (too few signals for a classifier).
    kind: Mapped[str] = mapped_column(String(16))
    # DIM little-endian float32 weights; the score of a paper is ``vector · weights + bias``.
    weights: Mapped[bytes] = mapped_column(LargeBinary)
    bias: Mapped[float] = mapped_column(Float)
    # The word model beside a classifier (``recommend.wordmodel.WordTaste.pack``); NULL for a centroid.
    word_weights: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # Hash of the signals (and the learning recipe) the model was trained on: an unchanged member is skipped.
    fingerprint: Mapped[str] = mapped_column(String(32))
    positives: Mapped[int] = mapped_column(Integer)
    negatives: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime())
