"""Collections and the papers saved in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from paperstand.db import Base, UTCDateTime


class Collection(Base):
    """A member's named list of papers; every member has one default, the "Reading list"."""

    __tablename__ = "collections"
    # One name per member (compared lower-cased), so /u/{name}/c/{slug} is unambiguous.
    __table_args__ = (UniqueConstraint("member_id", "slug", name="uq_collections_member_slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # Private unless the member says otherwise; a public one has a page and feeds.
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CollectionItem(Base):
    """One paper saved in one collection, with the member's note and whether it has been read."""

    __tablename__ = "collection_items"
    # The unique key makes concurrent identical saves leave one row.
    __table_args__ = (UniqueConstraint("collection_id", "paper_id", name="uq_collection_items_collection_paper"),
                      Index("ix_collection_items_paper", "paper_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
