"""A small key-value table for instance state that every process reads (e.g. the public address)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from paperstand.db import Base, UTCDateTime


class SiteState(Base):
    """One named value of instance state, with when it was last written."""

    __tablename__ = "site_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DataVersion(Base):
    """One row whose counter every commit that changes what anonymous visitors see moves forward.

    Database triggers (migration 0011) move it, so writes from any process (``import``, ``harvest``,
    ``embed``, the worker) count without the writer knowing; the page cache keys by it.
    """

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
