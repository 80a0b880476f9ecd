"""Read side of trending: the papers in stored-score order, each with its "why" line; scores by paper."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperstand.papers.models import Paper
from paperstand.papers.queries import PaperCard, cards_for
from paperstand.ranking.models import TrendingScore
from paperstand.ranking.trending import Trending


@dataclass(frozen=True)
class TrendingCard:
    """A paper's card on the trending list, its stored score and the line that explains it."""

    card: PaperCard
    score: float
    why: str


@dataclass(frozen=True)
class TrendingPage:
    """One page of the trending list (highest score first, ties by paper id)."""

    cards: list[TrendingCard]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the list fills (at least one, so an empty list still has page 1)."""
        return max(1, -(-self.total // self.per_page))


def as_trending(row: TrendingScore) -> Trending:
    """A stored row as the breakdown it was written from."""
    return Trending(score=row.score, votes=row.votes, votes_part=row.votes_part, stars=row.stars,
                    stars_part=row.stars_part, comments=row.comments, comments_part=row.comments_part,
                    age_hours=row.age_hours, age_part=row.age_part, votes_since=row.votes_since)


def trending_cards(session: Session, *, offset: int = 0, limit: int = 50) -> list[TrendingCard]:
    """Papers by stored trending score, highest first (ties: the lower paper id), with their why lines."""
    rows = session.execute(select(TrendingScore, Paper).join(Paper, Paper.id == TrendingScore.paper_id)
                           .order_by(TrendingScore.score.desc(), TrendingScore.paper_id)
                           .offset(offset).limit(limit)).all()
    cards = cards_for(session, [paper for _, paper in rows])
    return [TrendingCard(card, row.score, as_trending(row).why(row.computed_at))
            for (row, _), card in zip(rows, cards, strict=True)]


def count_trending(session: Session) -> int:
    """How many papers have a stored score."""
    return int(session.execute(select(func.count()).select_from(TrendingScore)).scalar_one())


def trending_page(session: Session, *, page: int = 1, per_page: int = 50) -> TrendingPage:
    """Page ``page`` (1-based) of the trending list; a page past the end reads no rows."""
    total = count_trending(session)
    offset = (page - 1) * per_page
    cards = trending_cards(session, offset=offset, limit=per_page) if offset < total else []
    return TrendingPage(cards, total, page, per_page)


def stored_scores(session: Session, paper_ids: list[int]) -> dict[int, float]:
    """The stored trending score of each of these papers that has one."""
    if not paper_ids:
        return {}
    rows = session.execute(select(TrendingScore.paper_id, TrendingScore.score)
                           .where(TrendingScore.paper_id.in_(paper_ids)))
    return {pid: score for pid, score in rows}
