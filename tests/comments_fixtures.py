"""Papers to comment on, stored through the real import path (shared by the comment and moderation tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperstand.ingest.record import PaperRecord
from paperstand.papers.models import DailyPick, Paper
from paperstand.papers.store import store_batch

DAY = date(2025, 3, 11)


def store_paper(engine: Engine, arxiv_id: str = "2503.04444", *, title: str = "Counting Sheep with Transformers",
                hf_comments: int | None = None, featured: bool = True) -> int:
    """Store one paper (featured on ``DAY``, with ``hf_comments`` imported); its row id."""
    record = PaperRecord(source="hf-daily", title=title, arxiv_id=arxiv_id, version=1,
                         authors=["Morag Campbell"], categories=["cs.CV"],
                         published_at=datetime(2025, 3, 9, 18, 0, tzinfo=UTC), hf_comments=hf_comments,
                         featured_on=DAY if featured else None)
    with engine.begin() as conn:
        store_batch(conn, [record])
    with Session(engine) as session:
        return int(session.scalars(select(Paper.id).where(Paper.arxiv_id == arxiv_id)).one())


def pick_id(engine: Engine, paper_id: int) -> int:
    """The id of the paper's pick on ``DAY``."""
    with Session(engine) as session:
        return int(session.scalars(select(DailyPick.id).where(DailyPick.paper_id == paper_id)).one())
