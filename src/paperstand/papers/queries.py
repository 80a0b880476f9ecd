"""Read side of papers: the one data layer behind the pages, the JSON API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from paperstand.papers.ids import is_local_key, split_arxiv_id
from paperstand.papers.models import DailyPick, ExternalSignal, Paper
from paperstand.papers.periods import Period
from paperstand.ranking.models import TrendingScore

Sort = Literal["publishedAt", "trending"]


@dataclass
class PaperCard:
    """A paper with what lists show beside it: signals and, when featured, the pick."""

    paper: Paper
    upvotes: int = 0
    num_comments: int = 0
    github_stars: int | None = None
    pick: DailyPick | None = None


def _signals(session: Session, paper_ids: list[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    if paper_ids:
        rows = session.execute(select(ExternalSignal.paper_id, ExternalSignal.name, ExternalSignal.value)
                               .where(ExternalSignal.paper_id.in_(paper_ids)))
        for pid, name, value in rows:
            out.setdefault(pid, {})[name] = value
    return out


def _cards(session: Session, rows: list[tuple[Paper, DailyPick | None]]) -> list[PaperCard]:
    signals = _signals(session, [p.id for p, _ in rows])
    cards = []
    for paper, pick in rows:
        sig = signals.get(paper.id, {})
        cards.append(PaperCard(paper, upvotes=sig.get("hf_upvotes", 0), num_comments=sig.get("hf_comments", 0),
                               github_stars=sig.get("github_stars"), pick=pick))
    return cards


def cards_for(session: Session, papers: list[Paper]) -> list[PaperCard]:
    """Cards (with their signals) for papers found some other way, e.g. by search; same order."""
    return _cards(session, [(p, None) for p in papers])


def _upvotes() -> Select[int, int]:
    return select(ExternalSignal.paper_id, ExternalSignal.value).where(ExternalSignal.name == "hf_upvotes")


def featured(session: Session, period: Period | None = None, *, sort: Sort | PageSort = "publishedAt",
             submitter: str | None = None, offset: int = 0, limit: int = 50) -> list[PaperCard]:
    """Papers featured in a period (all periods when ``None``), in the order ``sort`` names.

    ``publishedAt`` (the API's name) and ``curated`` keep each day's curated order, newest day first;
    ``trending`` puts the highest stored trending score first (papers without one after), then the most
    upvoted; ``top`` the most upvoted; ``new`` the most recently published on arXiv.
    """
    votes = _upvotes().subquery()
    stmt = select(Paper, DailyPick).join(DailyPick, DailyPick.paper_id == Paper.id).outerjoin(
        votes, votes.c.paper_id == Paper.id)
    if sort == "trending":
        stmt = stmt.outerjoin(TrendingScore, TrendingScore.paper_id == Paper.id)
    if period is not None:
        stmt = stmt.where(DailyPick.day >= period.start, DailyPick.day < period.end)
    if submitter:
        stmt = stmt.where(DailyPick.submitted_by == submitter)
    order = [*_sort_keys(sort, func.coalesce(votes.c.value, 0)), DailyPick.day.desc(), DailyPick.position,
             DailyPick.id]
    rows = session.execute(stmt.order_by(*order).offset(offset).limit(limit)).all()
    return _cards(session, list(rows))


def count_featured(session: Session, period: Period | None = None) -> int:
    """How many picks a period holds."""
    stmt = select(func.count()).select_from(DailyPick)
    if period is not None:
        stmt = stmt.where(DailyPick.day >= period.start, DailyPick.day < period.end)
    return int(session.execute(stmt).scalar_one())


def latest_day(session: Session) -> date | None:
    """The most recent day with featured papers."""
    return session.execute(select(func.max(DailyPick.day))).scalar_one()


def neighbour_days(session: Session, day: date) -> tuple[date | None, date | None]:
    """The nearest earlier and later days that have featured papers."""
    prev = session.execute(select(func.max(DailyPick.day)).where(DailyPick.day < day)).scalar_one()
    nxt = session.execute(select(func.min(DailyPick.day)).where(DailyPick.day > day)).scalar_one()
    return prev, nxt


def count_papers(session: Session) -> int:
    """How many papers are stored, featured or not."""
    return int(session.execute(select(func.count()).select_from(Paper)).scalar_one())


def find_paper(session: Session, public_id: str) -> Paper | None:
    """A paper by arXiv id (with or without version, or an abs URL) or by local key."""
    if is_local_key(public_id):
        return session.execute(select(Paper).where(Paper.local_key == public_id)).scalar_one_or_none()
    parsed = split_arxiv_id(public_id)
    if parsed is None:
        return None
    return session.execute(select(Paper).where(Paper.arxiv_id == parsed[0])).scalar_one_or_none()


def paper_card(session: Session, paper: Paper) -> PaperCard:
    """The card of one paper, with its most recent pick if it was ever featured."""
    pick = session.execute(select(DailyPick).where(DailyPick.paper_id == paper.id)
                           .order_by(DailyPick.day.desc()).limit(1)).scalar_one_or_none()
    return _cards(session, [(paper, pick)])[0]


@dataclass
class PeriodPage:
    """One page of the papers featured in a period, and the nearest featured days outside it."""

    period: Period
    cards: list[PaperCard]
    total: int
    page: int
    per_page: int
    prev_day: date | None
    next_day: date | None
    sort: PageSort = "top"

    @property
    def pages(self) -> int:
        """How many pages the period fills (at least one, so an empty period still has page 1)."""
        return max(1, -(-self.total // self.per_page))


def period_page(session: Session, period: Period, *, page: int = 1, per_page: int = 50,
                sort: PageSort = "top") -> PeriodPage:
    """Page ``page`` (1-based) of a period's featured papers, with the featured days just before and after."""
    cards = featured(session, period, sort=sort, offset=(page - 1) * per_page, limit=per_page)
    prev_day, _ = neighbour_days(session, period.start)
    # ``end`` is exclusive: the last day inside the period is the day before it.
    _, next_day = neighbour_days(session, period.end - timedelta(days=1))
    return PeriodPage(period, cards, count_featured(session, period), page, per_page, prev_day, next_day, sort)


# The orders a day, week or month page offers, as its ``?sort=`` takes them; "top" first, the default,
# as on the page we imitate.
PageSort = Literal["top", "curated", "new"]
PAGE_SORTS: tuple[PageSort, ...] = ("top", "curated", "new")


def _sort_keys(sort: Sort | PageSort, upvotes: ColumnElement[int]) -> list[ColumnElement[Any]]:
    """The leading ORDER BY keys of a sort; the curated order (day, position) always follows as tie-break."""
    if sort == "trending":
        # The same stored score as /papers/trending; NULLs sort differently on the two databases.
        return [TrendingScore.score.is_(None), TrendingScore.score.desc(), upvotes.desc()]
    if sort == "top":
        return [upvotes.desc()]
    if sort == "new":
        # Papers without an arXiv date go last on both databases (their NULL ordering differs).
        return [Paper.published_at.is_(None), Paper.published_at.desc()]
    return []


def find_card(session: Session, public_id: str) -> PaperCard | None:
    """The card (paper, signals, latest pick) of the paper an id names, or ``None``."""
    paper = find_paper(session, public_id)
    return paper_card(session, paper) if paper is not None else None
