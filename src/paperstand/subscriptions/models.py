"""Subscribers, their single-use tokens, and the append-only suppression list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from paperstand.db import Base, UTCDateTime


class Subscriber(Base):
    """An email address that asked for digests; nothing is sent until it is confirmed."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # lower-cased
    # "pending" until the opt-in link is followed, then "confirmed"; "unsubscribed" is final.
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    frequency: Mapped[str] = mapped_column(String(8), default="daily")  # "daily" (weekdays) or "weekly"
    weekday: Mapped[int] = mapped_column(Integer, default=0)  # 0 = Monday, for weekly digests
    send_hour: Mapped[int] = mapped_column(Integer, default=8)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_papers: Mapped[int] = mapped_column(Integer, default=10)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the last confirmation mail was claimed: one guarded UPDATE of it decides who may send the next.
    opt_in_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The member whose verified address this is (set by ``accounts.digest_link``), so /settings links here.
    # No ON DELETE action: see migration 0013.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)


class OptInToken(Base):
    """A single-use, expiring confirmation token; only its hash is stored."""

    __tablename__ = "opt_in_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Suppression(Base):
    """An address that must never get mail again (unsubscribed, bounced, complained).

    Rows are never removed, so restoring an old backup and re-applying the list can never re-subscribe
    someone. There is one row per address and reason; a later suppression for the same reason only moves
    its time forward (it must outrank a confirmation given in between).
    """

    __tablename__ = "suppressions"
    # Unique, so concurrent unsubscribes and bounces of one address store one row (insert-or-ignore).
    __table_args__ = (Index("uq_suppressions_email_reason", "email", "reason", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # "unsubscribed", "hard-bounce", "complaint"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
