"""Votes, comments and their flags, authorship claims, curation steps and the public moderation log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from paperstand.db import Base, UTCDateTime


class Vote(Base):
    """One member's upvote of one paper: the unique key is what makes 50 identical requests leave one row."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("paper_id", "member_id", name="uq_votes_paper_member"),
                      Index("ix_votes_member_created", "member_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Comment(Base):
    """A comment on a paper, or a reply (``parent_id``). ``body`` is the Markdown typed, ``html`` its safe render."""

    __tablename__ = "comments"
    # A retried post with the same key leaves one comment.
    __table_args__ = (UniqueConstraint("member_id", "idempotency_key", name="uq_comments_member_key"),
                      Index("ix_comments_paper_created", "paper_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str | None] = mapped_column(Text)


class CommentFlag(Base):
    """A member's report of a comment, with a reason; open flags make the moderators' queue."""

    __tablename__ = "comment_flags"
    __table_args__ = (UniqueConstraint("comment_id", "member_id", name="uq_comment_flags_comment_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthorClaim(Base):
    """A member's claim to be one of a paper's authors (by position in its author list), decided by a moderator."""

    __tablename__ = "author_claims"
    __table_args__ = (UniqueConstraint("paper_id", "member_id", name="uq_author_claims_paper_member"),
                      Index("ix_author_claims_status", "status", "created_at"),
                      # At most one approved member per author position (migration 0018).
                      Index("uq_author_claims_approved_position", "paper_id", "author_index", unique=True,
                            sqlite_where=text("status = 'approved'"), postgresql_where=text("status = 'approved'")))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    author_index: Mapped[int] = mapped_column(Integer)
    author_name: Mapped[str] = mapped_column(String(300))
    # "pending", "approved" or "rejected".
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)


class CurationStep(Base):
    """One curator action on a day's list (add, remove, move, pick, unpick), kept for good."""

    __tablename__ = "curation_log"
    __table_args__ = (Index("ix_curation_log_day", "day", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    paper_id: Mapped[int | None] = mapped_column(ForeignKey("papers.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ModerationAction(Base):
    """A public row of /moderation: who did what to which comment, submission or member, when, and why."""

    __tablename__ = "moderation_log"
    __table_args__ = (Index("ix_moderation_log_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # "hide_comment", "unhide_comment", "hide_submission", "ban", "unban", "approve_claim", "reject_claim", ...
    action: Mapped[str] = mapped_column(String(32))
    # "comment", "submission", "member" or "claim", and that row's id.
    target_kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    target_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
