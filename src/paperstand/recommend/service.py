"""A member's recommendations for a period: their taste model's best unseen papers, each with its reasons.

Below PERSONAL_MIN_POSITIVES liked papers, while paused, and after a reset, the list is the cold-start one: the
period's most upvoted papers in the categories the member picked (all categories before they pick any).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperstand.community.models import Vote
from paperstand.papers.periods import BadPeriod, Period, parse_period, week_period_of
from paperstand.recommend import explain, learn
from paperstand.recommend.signals import Signal, raw_signals, since_reset, taste_of
from paperstand.recommend.training import MemberModel, member_model
from paperstand.recommend.vectors import (
    Candidates,
    categories_of,
    latest_day_with_papers,
    period_candidates,
    texts_of,
    word_counts_of,
)

if TYPE_CHECKING:
    from paperstand.config import Settings

# The most a list may ask for (the API's ``limit``): a page of recommendations, not the whole period.
MAX_LIMIT = 100


@dataclass(frozen=True)
class Recommendation:
    """One recommended paper: its score under the member's model and why it is recommended."""

    paper_id: int
    score: float
    reasons: list[str]
    published_at: datetime | None = None


@dataclass
class ForYou:
    """A member's list for a period and how it was made (with the member's settings, for the page)."""

    mode: str  # "personal", "start" (too few signals) or "paused"
    items: list[Recommendation] = field(default_factory=list)
    positives: int = 0
    categories: list[str] = field(default_factory=list)
    model_kind: str = ""  # "classifier" or "centroid" in the personal mode
    started: bool = False  # the first visit's categories were picked
    paused: bool = False


def _cold_start(session: Session, cands: Candidates, categories: list[str], limit: int,
                mode: str) -> ForYou:
    """The period's most upvoted papers (newest first among equals) in ``categories`` (any when empty)."""
    wanted = set(categories)
    rows = [i for i, cats in enumerate(cands.categories) if not wanted or wanted & set(cats)]
    ids = [cands.ids[i] for i in rows]
    votes: dict[int, int] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        votes.update({pid: int(n) for pid, n in session.execute(
            select(Vote.paper_id, func.count()).where(Vote.paper_id.in_(chunk)).group_by(Vote.paper_id))})
    def newest(i: int) -> float:
        at = cands.published[i]
        return at.timestamp() if at is not None else 0.0

    rows.sort(key=lambda i: (-votes.get(cands.ids[i], 0), -newest(i), -cands.ids[i]))
    where = f"in {', '.join(categories)}" if categories else "on the site"
    items = []
    for i in rows[:limit]:
        n = votes.get(cands.ids[i], 0)
        why = (f"Among the most upvoted papers {where} ({n} upvote{'s' if n != 1 else ''})" if n
               else f"New {where}")
        items.append(Recommendation(cands.ids[i], float(n), [why], cands.published[i]))
    return ForYou(mode, items, categories=categories)


def _personal(session: Session, member_id: int, cands: Candidates, model: MemberModel, signals: list[Signal],
              limit: int) -> ForYou:
    """The candidates ranked by the member's model, the best ``limit`` with their reasons."""
    affinity = learn.category_affinity(categories_of(session, model.liked_ids), cands.categories)
    order_all, scores = learn.rank(model.taste, cands.vectors, affinity, np.asarray(cands.ids),
                                   lambda rows: word_counts_of(session, [cands.ids[i] for i in rows]))
    order = order_all[:limit]
    top = [cands.ids[i] for i in order]
    sims = cands.vectors[order] @ model.liked_vectors.T if len(order) else np.zeros((0, 0), np.float32)
    # Only the shown papers' texts: the reasons name their words.
    texts = texts_of(session, top)
    reasons = explain.reasons_for(top, sims, texts, model.liked_ids,
                                  explain.liked_titles(session, model.liked_ids), explain.kinds_of(signals),
                                  explain.follow_reasons(session, member_id, top))
    items = [Recommendation(cands.ids[i], float(scores[i]), reasons[cands.ids[i]], cands.published[i])
             for i in order]
    return ForYou("personal", items, positives=model.taste.positives, model_kind=model.taste.kind)


def for_you(session: Session, *, member_id: int, start: date, end: date, limit: int = 20,
            settings: Settings | None = None) -> ForYou:
    """The member's list for papers published in ``[start, end)``, best first, none they already signalled."""
    limit = max(1, min(limit, MAX_LIMIT))
    taste = taste_of(session, member_id)
    categories = [c for c in (taste.categories.split(",") if taste is not None else []) if c]
    every = raw_signals(session, member_id)  # all of them: a paper signalled before a reset is still seen
    cands = period_candidates(session, start, end, {s.paper_id for s in every})
    if taste is not None and taste.paused:
        result = _cold_start(session, cands, categories, limit, "paused")
    else:
        signals = since_reset(every, taste)
        model = member_model(session, member_id, signals)
        result = (_cold_start(session, cands, categories, limit, "start") if model is None
                  else _personal(session, member_id, cands, model, signals, limit))
    result.started = taste is not None and taste.started_at is not None
    result.paused = taste is not None and taste.paused
    result.categories = categories
    return result


def recommendations(session: Session, *, member_id: int, start: date, end: date, limit: int = 20,
                    settings: Settings | None) -> list[Recommendation]:
    """The member's recommended papers published in ``[start, end)``, best first, each with its reasons."""
    return for_you(session, member_id=member_id, start=start, end=end, limit=limit, settings=settings).items


def choose_period(session: Session, *, date: str | None = None, week: str | None = None,
                  month: str | None = None) -> Period:
    """The one period named by ``date``/``week``/``month`` (BadPeriod when malformed or several), else the
    latest week that has papers (the current week on an empty site)."""
    given = [(text, kind) for text, kind in ((date, "day"), (week, "week"), (month, "month")) if text]
    if len(given) > 1:
        raise BadPeriod("give at most one of date, week and month")
    if given:
        text, kind = given[0]
        return parse_period(text, (kind,))
    latest = latest_day_with_papers(session)
    return week_period_of(latest or datetime.now(UTC).date())
