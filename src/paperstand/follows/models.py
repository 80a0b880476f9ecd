"""What a member follows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
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


class Watch(Base):
    """One member watching one paper: new versions, a code repository and comments are alerted."""

    __tablename__ = "watches"
    __table_args__ = (UniqueConstraint("member_id", "paper_id", name="uq_watches_member_paper"),
                      Index("ix_watches_paper", "paper_id", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    # Events recorded after this moment are alerted to this watcher; what the paper was before is not news.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# What happened to a watched paper: a new arXiv version, a code repository, a comment or reply.
WATCH_EVENT_KINDS = ("version", "code", "comment")


class WatchEvent(Base):
    """Something that happened to a watched paper, recorded once whoever notices it first."""

    __tablename__ = "watch_events"
    __table_args__ = (Index("ix_watch_events_paper", "paper_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # "version:2503.00001v3", "code:17:https://github.com/o/r", "comment:42": the same event is one row.
    dedupe_key: Mapped[str] = mapped_column(String(700), unique=True)
    # What the alert says ("version 3", the repository's address, the comment's author).
    detail: Mapped[str] = mapped_column(Text, default="")
    # The member who caused it (a comment's author), who is not alerted of their own doing.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WatchAlert(Base):
    """One event owed to one watcher; unique per (member, event), so it is never sent twice."""

    __tablename__ = "watch_alerts"
    __table_args__ = (UniqueConstraint("member_id", "event_id", name="uq_watch_alerts_member_event"),
                      Index("ix_watch_alerts_pending", "member_id", "sent_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("watch_events.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When it was queued as a mail of its own, or handed to a digest; NULL while it waits.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The digest outbox row it was folded into ("digest" delivery): a digest re-built after a crash shows it again.
    digest_row_id: Mapped[int | None] = mapped_column(Integer)


# How a member's watch alerts reach them: a mail per alert at once, or folded into their next digest.
WATCH_DELIVERIES = ("instant", "digest")


class FollowSettings(Base):
    """A member's choices for follows and watches (no row: the defaults)."""

    __tablename__ = "follow_settings"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    watch_delivery: Mapped[str] = mapped_column(String(16), default="instant")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
