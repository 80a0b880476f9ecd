"""Small helpers of the claims tests: a stored paper, a loaded member, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.ingest.record import PaperRecord
from paperstand.papers.models import Paper
from paperstand.papers.store import store_batch

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
AUTHORS = ["Ada Lovelace", "Charles Babbage", "Mary Somerville"]
BASE = "https://papers.example.org"


def store_paper(engine: Engine, arxiv_id: str = "2501.00001", authors: list[str] | None = None, *,
                source: str = "arxiv-oai", version: int = 1, **fields: object) -> int:
    """Import one paper the way harvests do (``store_batch``); return its id."""
    rec = PaperRecord(source=source, title=f"On the engine {arxiv_id}", arxiv_id=arxiv_id, version=version,
                      authors=list(AUTHORS if authors is None else authors), abstract="Notes.",
                      categories=["cs.LG"], **fields)  # type: ignore[arg-type]
    with engine.begin() as conn:
        store_batch(conn, [rec], now=NOW)
    with Session(engine) as s:
        return s.scalars(select(Paper.id).where(Paper.arxiv_id == arxiv_id)).one()


def member(session: Session, member_id: int) -> Member:
    """The stored member (the services take the Member the request found)."""
    found = session.get(Member, member_id)
    assert found is not None
    return found
