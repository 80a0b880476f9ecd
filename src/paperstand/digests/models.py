"""The digest outbox: one row per (subscriber, period), sent under a lease."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from paperstand.db import Base, UTCDateTime


class OutboxMessage(Base):
    """A digest owed to a subscriber for a period.

    The unique key makes planning idempotent: two schedulers racing still create one row. Sending
    takes a lease (owner + expiry); a sender killed mid-way leaves the lease to expire, and the next
    sender retries the row with the same Message-ID.
    """

    __tablename__ = "digest_outbox"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "period", name="uq_digest_outbox_subscriber_period"),
        Index("ix_digest_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(16))  # "2026-03-02" or "2026-W10"
    # The featured days the digest covers, fixed when the row is planned so that a retry after a
    # crash re-sends the same papers under the same Message-ID.
    first_day: Mapped[date | None] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    # "pending" → "sent"; "skipped" when nothing matched the subscriber's topics (no empty mail);
    # or "suppressed" (hard bounce, too many soft bounces, unsubscribed meanwhile).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
