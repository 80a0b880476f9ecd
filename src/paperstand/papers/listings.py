"""Every stored paper by the day or month it first appeared on arXiv, featured or not, newest first.

Kept apart from ``queries`` (the featured-paper read side): these lists range over ``papers.published_at``
(indexed with ``arxiv_id`` by migration 0007, so a page is an index range scan at a million papers).
A day lists only papers whose day is known; a paper dated from its id's month appears in the month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from paperstand.papers.category_filter import category_condition
from paperstand.papers.models import Paper
from paperstand.papers.periods import Period, day_period, month_period
from paperstand.papers.published import DAY
from paperstand.papers.queries import PaperCard, cards_for


@dataclass
class ArxivPage:
    """One page of the papers first published on arXiv in a day or month, and the neighbouring periods."""

    period: Period
    category: str | None
    cards: list[PaperCard]
    total: int
    page: int
    per_page: int
    prev: Period | None
    next: Period | None

    @property
    def pages(self) -> int:
        """How many pages the listing fills (at least one, so an empty listing still has page 1)."""
        return max(1, -(-self.total // self.per_page))


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _kind(session: Session, kind: str, category: str | None) -> list[ColumnElement[bool]]:
    """What a listing of ``kind`` asks of a paper besides its date: a known day, the category."""
    conds: list[ColumnElement[bool]] = []
    if kind == "day":
        conds.append(Paper.published_precision == DAY)
    if category:
        conds.append(category_condition([category], session.get_bind().dialect.name))
    return conds


def _in(session: Session, period: Period, category: str | None) -> list[ColumnElement[bool]]:
    """Papers of ``period`` (and ``category``)."""
    return [Paper.published_at >= _at(period.start), Paper.published_at < _at(period.end),
            *_kind(session, period.kind, category)]


def arxiv_papers(session: Session, period: Period, *, category: str | None = None, offset: int = 0,
                 limit: int = 50, member_id: int | None = None) -> list[PaperCard]:
    """Papers first published on arXiv in ``period`` (a day or month), newest first, ties by arXiv id."""
    stmt = (select(Paper).where(*_in(session, period, category))
            .order_by(Paper.published_at.desc(), Paper.arxiv_id.desc(), Paper.id.desc())
            .offset(offset).limit(limit))
    return cards_for(session, list(session.execute(stmt).scalars()), member_id=member_id)


def count_arxiv_papers(session: Session, period: Period, *, category: str | None = None) -> int:
    """How many papers ``arxiv_papers`` lists for ``period`` in all."""
    stmt = select(func.count()).select_from(Paper).where(*_in(session, period, category))
    return int(session.execute(stmt).scalar_one())


def _neighbour(session: Session, period: Period, category: str | None, later: bool) -> Period | None:
    """The nearest earlier (or later) period of the same kind holding papers: empty ones are skipped."""
    kind_conds = _kind(session, period.kind, category)
    if later:
        found = session.execute(select(func.min(Paper.published_at))
                                .where(Paper.published_at >= _at(period.end), *kind_conds)).scalar_one()
    else:
        found = session.execute(select(func.max(Paper.published_at))
                                .where(Paper.published_at < _at(period.start), *kind_conds)).scalar_one()
    if found is None:
        return None
    day = found.astimezone(UTC).date()
    return day_period(day) if period.kind == "day" else month_period(day.year, day.month)


def arxiv_page(session: Session, period: Period, *, category: str | None = None, page: int = 1,
               per_page: int = 50, member_id: int | None = None) -> ArxivPage:
    """Page ``page`` (1-based) of a day's or month's arXiv papers, with the total and the nearest periods.

    ``member_id``: the viewing member, whose votes the cards mark.
    """
    total = count_arxiv_papers(session, period, category=category)
    # A page past the end reads no rows (the caller answers it with a 404).
    in_range = (page - 1) * per_page < total
    cards = arxiv_papers(session, period, category=category, offset=(page - 1) * per_page,
                         limit=per_page, member_id=member_id) if in_range else []
    return ArxivPage(period, category, cards, total, page, per_page,
                     _neighbour(session, period, category, later=False),
                     _neighbour(session, period, category, later=True))


def latest_arxiv_day(session: Session) -> date | None:
    """The most recent day (known to the day) on which stored papers first appeared on arXiv."""
    found = session.execute(select(func.max(Paper.published_at))
                            .where(Paper.published_precision == DAY)).scalar_one()
    return found.astimezone(UTC).date() if found is not None else None


def latest_arxiv_month(session: Session) -> date | None:
    """The first day of the most recent month holding stored arXiv papers (day- or month-dated)."""
    found = session.execute(select(func.max(Paper.published_at))).scalar_one()
    return found.astimezone(UTC).date().replace(day=1) if found is not None else None
