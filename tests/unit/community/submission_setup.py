"""Shared set-up of the submission and curation tests: papers stored as an import stores them, a fake arXiv."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.unit.community.arxiv_fake import feed

from paperstand.accounts.models import Member
from paperstand.community.arxiv_lookup import ArxivUnavailable, read_answer
from paperstand.config import Settings
from paperstand.ingest.record import PaperRecord
from paperstand.papers.models import DailyPick, Paper
from paperstand.papers.store import store_batch

# A Wednesday, noon UTC.
NOW = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@dataclass
class FakeArxiv:
    """An in-memory ``FetchPaper``: answers in arXiv's own format (parsed by the real parser), counts calls."""

    published: dict[str, datetime] = field(default_factory=dict)
    offline: bool = False
    calls: list[str] = field(default_factory=list)

    def __call__(self, arxiv_id: str) -> PaperRecord:
        """The record of a paper the fake knows; ``NotOnArxiv`` otherwise, ``ArxivUnavailable`` when offline."""
        self.calls.append(arxiv_id)
        if self.offline:
            raise ArxivUnavailable("arXiv could not be reached just now; nothing was stored")
        if arxiv_id not in self.published:
            return read_answer(feed(arxiv_id, NOW, found=False), arxiv_id)  # raises NotOnArxiv
        return read_answer(feed(arxiv_id, self.published[arxiv_id]), arxiv_id)


def settings(db_url: str, **kwargs: Any) -> Settings:
    """Settings on the test database (and the rules ``kwargs`` set)."""
    return Settings(database_url=db_url, harvest_on_start=False, **kwargs)


def store(engine: Engine, arxiv_id: str, *, published: datetime | None = NOW - timedelta(days=1),
          featured_on: date | None = None, precision: str | None = None, withdrawn: bool = False,
          source: str = "arxiv-atom") -> None:
    """Store a paper through the import's merge (and a pick when ``featured_on``)."""
    rec = PaperRecord(source=source, title=f"Stored paper {arxiv_id}", arxiv_id=arxiv_id, version=1,
                      authors=["Ada Example"], abstract="An abstract.", categories=["cs.LG"],
                      published_at=published, published_precision=precision, withdrawn=withdrawn,
                      featured_on=featured_on, submitted_by="akhaliq" if featured_on else None,
                      submitted_by_name="AK" if featured_on else None)
    with engine.begin() as conn:
        store_batch(conn, [rec], NOW - timedelta(days=30))


def member(engine: Engine, member_id: int) -> Member:
    """A member as a request holds it: loaded, then detached."""
    with Session(engine) as session:
        found = session.get(Member, member_id)
        assert found is not None
        session.expunge(found)
        return found


def picks(engine: Engine) -> list[tuple[str, date, int, str, str | None]]:
    """Every pick as (arXiv id, day, position, source, submitted_by), in day and position order."""
    with Session(engine) as session:
        rows = session.execute(select(Paper.arxiv_id, DailyPick.day, DailyPick.position, DailyPick.source,
                                      DailyPick.submitted_by).join(Paper, Paper.id == DailyPick.paper_id)
                               .order_by(DailyPick.day, DailyPick.position, DailyPick.id)).all()
    return [(str(a), d, p, s, by) for a, d, p, s, by in rows]


def paper_ids(engine: Engine) -> list[str]:
    """arXiv ids of every stored paper."""
    with Session(engine) as session:
        return sorted(str(a) for a in session.execute(select(Paper.arxiv_id)).scalars())
