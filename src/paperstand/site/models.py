"""A small key-value table for instance state that every process reads (e.g. the public address)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from paperstand.db import Base, UTCDateTime


class SiteState(Base):
    """One named value of instance state, with when it was last written."""

    __tablename__ = "site_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
