"""The outbox of single messages (verification, password reset, mentions, alerts): sent by a worker job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from paperstand.db import Base, UTCDateTime


class OutgoingMail(Base):
    """One message to one address, written in the transaction that made it necessary.

    A request never sends mail itself: the row commits with the change (a new account, a comment), and
    the worker's ``send_mail`` job delivers it, so a crash between the two loses nothing and a retried
    request (same ``dedupe_key``) queues nothing twice.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Unique when set: "verify:<token id>", "mention:<comment id>:<member id>", ...
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A claim lease (like the digest outbox): a crashed sender's rows are due again when it runs out.
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Which sender holds the lease: a sender whose lease ran out (taken over by another) records nothing.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "sent", "failed" (given up), or NULL while pending.
    status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
