"""Tables for papers, the days they were featured, and signals from outside sites."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from paperstand.db import Base, UTCDateTime


class Paper(Base):
    """One paper, whatever sources told us about it, merged by arXiv id (or by title key)."""

    __tablename__ = "papers"
    # The arXiv listings and date filters range over published_at, newest first, ties by arXiv id.
    __table_args__ = (Index("ix_papers_published_at", "published_at", "arxiv_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # arXiv id without version ("2403.01234", "hep-th/9901001"); NULL until one is known.
    arxiv_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Stable key for papers first seen without an arXiv id; kept after a merge so old links resolve.
    local_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    # Hash of the normalized title: how an id-less record finds its arXiv twin.
    title_key: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    primary_category: Mapped[str | None] = mapped_column(String(32))
    # First appearance on arXiv. When a source gives no date, the first of the month the id names
    # (papers.published); ``published_precision`` says which: "day" or "month" (NULL: no date known).
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_precision: Mapped[str | None] = mapped_column(String(8))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    latest_version: Mapped[int | None] = mapped_column(Integer)
    # [{"version": 2, "created": "2024-01-02T10:00:00+00:00"}, ...] oldest first.
    versions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    doi: Mapped[str | None] = mapped_column(String(255))
    journal_ref: Mapped[str | None] = mapped_column(Text)
    comments: Mapped[str | None] = mapped_column(Text)
    license: Mapped[str | None] = mapped_column(String(255))
    pdf_url: Mapped[str | None] = mapped_column(String(512))
    github_repo: Mapped[str | None] = mapped_column(String(512))
    project_page: Mapped[str | None] = mapped_column(String(512))
    # A verified author set ``github_repo`` and ``project_page`` here: imports no longer overwrite them.
    links_set_by_author: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    ai_summary: Mapped[str | None] = mapped_column(Text)
    ai_keywords: Mapped[list[str] | None] = mapped_column(JSON)
    organization: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Hugging Face's discussion thread id and thumbnail URL, served as-is by the compatible API.
    discussion_id: Mapped[str | None] = mapped_column(String(64))
    thumbnail: Mapped[str | None] = mapped_column(String(512))
    # Source names that contributed ("arxiv-oai", "hf-daily", ...), in first-seen order.
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Indexed: its maximum is the Last-Modified time of pages, feeds and API answers.
    last_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    @property
    def public_id(self) -> str:
        """The id used in URLs and the API: the arXiv id when known."""
        return self.arxiv_id or self.local_key or str(self.id)


class DailyPick(Base):
    """A paper featured on a day ("papers of the day"), kept apart from the paper itself."""

    __tablename__ = "daily_picks"
    __table_args__ = (
        UniqueConstraint("day", "paper_id", name="uq_daily_picks_day_paper"),
        Index("ix_daily_picks_day_position", "day", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str | None] = mapped_column(String(128), index=True)
    submitted_by_name: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(32))
    # A local submission or curation: the member who submitted it ("Submitted by @name") and when.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A curator's pick of the day (shown as such, first in curated order).
    curator_pick: Mapped[bool] = mapped_column(Boolean, default=False)
    # A moderator hid this submission: it leaves the day's page, the row stays for the log.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str | None] = mapped_column(Text)


class ExternalSignal(Base):
    """The latest value of a signal another site keeps (HF upvotes, GitHub stars, HF comments)."""

    __tablename__ = "external_signals"
    __table_args__ = (UniqueConstraint("paper_id", "name", name="uq_external_signals_paper_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    # "hf_upvotes", "hf_comments" or "github_stars".
    name: Mapped[str] = mapped_column(String(32))
    value: Mapped[int] = mapped_column(Integer)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
