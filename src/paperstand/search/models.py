"""The search package's tables: one stored embedding (and word counts) per paper."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from paperstand.db import Base, UTCDateTime


class PaperEmbedding(Base):
    """The stored embedding of one paper's title and abstract."""

    __tablename__ = "paper_embeddings"
    __table_args__ = (Index("ix_paper_embeddings_embedded_at", "embedded_at"),)

    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    # Which embedding function made the vector (``embedder.MODEL_ID``); another one makes the paper pending.
    model_id: Mapped[str] = mapped_column(String(64))
    # Hash of the embedded text (``content_hash``): the vector is recomputed only when it differs.
    content_hash: Mapped[str] = mapped_column(String(32))
    # DIM little-endian float16 values, unit length.
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    # When the vector was written: the ANN index's watermark for incremental updates.
    embedded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the hash was last compared with the paper; NULL forces a comparison (``--rebuild``).
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The same text's hashed word and word-pair counts (``search.terms.pack``), the recommendation word model's
    # input; NULL for a paper stored before they were kept (the next embedding run adds them).
    terms: Mapped[bytes | None] = mapped_column(LargeBinary)
