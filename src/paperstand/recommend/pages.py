"""What the /for-you pages show: the list with paper cards, the first-visit choices, the signals page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.papers.models import Paper
from paperstand.papers.periods import Period
from paperstand.papers.queries import PaperCard, cards_for
from paperstand.recommend.service import ForYou, Recommendation, for_you
from paperstand.recommend.signals import VERBS, Signal, raw_signals, taste_of
from paperstand.recommend.training import PERSONAL_MIN_POSITIVES

if TYPE_CHECKING:
    from paperstand.config import Settings

# Signals listed on one page of /for-you/signals.
SIGNALS_PER_PAGE = 50


@dataclass(frozen=True)
class Item:
    """One recommended paper as the page shows it: its card and its reasons."""

    card: PaperCard
    rec: Recommendation


@dataclass
class ForYouView:
    """Everything /for-you renders."""

    period: Period
    result: ForYou
    items: list[Item]
    started: bool
    paused: bool
    needed: int = PERSONAL_MIN_POSITIVES
    picked: list[str] = field(default_factory=list)


def _papers(session: Session, ids: list[int]) -> dict[int, Paper]:
    found: dict[int, Paper] = {}
    for i in range(0, len(ids), 900):
        found.update({p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(ids[i:i + 900])))})
    return found


def for_you_view(session: Session, *, member_id: int, period: Period, limit: int = 20,
                 settings: Settings | None = None) -> ForYouView:
    """The member's /for-you page for ``period``."""
    result = for_you(session, member_id=member_id, start=period.start, end=period.end, limit=limit,
                     settings=settings)
    papers = _papers(session, [r.paper_id for r in result.items])
    recs = [r for r in result.items if r.paper_id in papers]
    cards = cards_for(session, [papers[r.paper_id] for r in recs], member_id=member_id)
    return ForYouView(period=period, result=result, items=[Item(c, r) for c, r in zip(cards, recs, strict=True)],
                      started=result.started, paused=result.paused, picked=result.categories)


@dataclass(frozen=True)
class SignalRow:
    """One signal on the signals page: the paper, what it was, when, and whether a reset made it ignored."""

    signal: Signal
    paper: Paper
    ignored: bool

    @property
    def what(self) -> str:
        """"You upvoted", "You saved", "You liked", "You marked not for you"."""
        return f"You {VERBS[self.signal.kind]}"


@dataclass
class SignalsView:
    """The member's signals, newest first, one page of them."""

    rows: list[SignalRow]
    total: int
    page: int
    pages: int
    reset_at: datetime | None
    paused: bool


def signals_view(session: Session, *, member_id: int, page: int = 1) -> SignalsView:
    """Every signal of the member (including those a reset set aside, marked so), paged."""
    taste = taste_of(session, member_id)
    reset_at = taste.reset_at if taste is not None else None
    signals = raw_signals(session, member_id)
    pages = max(1, -(-len(signals) // SIGNALS_PER_PAGE))
    page = max(1, min(page, pages))
    shown = signals[(page - 1) * SIGNALS_PER_PAGE: page * SIGNALS_PER_PAGE]
    papers = _papers(session, [s.paper_id for s in shown])
    rows = [SignalRow(s, papers[s.paper_id], reset_at is not None and s.at <= reset_at)
            for s in shown if s.paper_id in papers]
    return SignalsView(rows, len(signals), page, pages, reset_at, taste is not None and taste.paused)
