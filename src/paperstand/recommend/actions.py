"""What a member does to their recommendations: rate a paper, remove a signal, pick categories, pause, reset."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from paperstand.community.votes import unvote
from paperstand.dialect import insert_or_ignore, upsert
from paperstand.library.models import Collection, CollectionItem
from paperstand.papers.models import Paper
from paperstand.recommend.models import PaperRating, Taste
from paperstand.recommend.signals import DISLIKE, LIKE, SAVE, UPVOTE

# Where a rating came from (PaperRating.source).
SOURCES = ("page", "digest", "start", "api")
# Categories a member may pick at the first visit: a handful is a taste, more is the whole site.
MAX_CATEGORIES = 12
_CATEGORY = re.compile(r"^[a-z][a-z-]{0,15}(?:\.[A-Za-z][A-Za-z-]{0,15})?$")


class RecommendError(ValueError):
    """A request the recommendations cannot honour; the message says why."""


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _taste(session: Session, member_id: int, now: datetime) -> Taste:
    """The member's settings row, created on first use (concurrent first uses leave one row)."""
    session.execute(insert_or_ignore(session.connection(), Taste, keys=["member_id"])
                    .values(member_id=member_id, paused=False, categories="", updated_at=now))
    taste = session.get(Taste, member_id)
    assert taste is not None
    return taste


def paper_exists(session: Session, paper_id: int) -> bool:
    """Whether the paper exists."""
    return session.execute(select(Paper.id).where(Paper.id == paper_id)).first() is not None


def rate(session: Session, *, member_id: int, paper_id: int, rating: int, source: str = "page",
         now: datetime | None = None) -> None:
    """Record a 👍 (+1) or 👎 / "not interested" (-1); a later rating of the same paper replaces the earlier."""
    if rating not in (1, -1):
        raise RecommendError("a rating is +1 (👍) or -1 (👎)")
    if source not in SOURCES:
        raise RecommendError(f"unknown rating source {source!r}")
    if not paper_exists(session, paper_id):
        raise RecommendError("no such paper")
    session.execute(upsert(session.connection(), PaperRating, keys=["member_id", "paper_id"],
                           update=["rating", "source", "created_at"])
                    .values(member_id=member_id, paper_id=paper_id, rating=rating, source=source,
                            created_at=_now(now)))


def remove_signal(session: Session, *, member_id: int, paper_id: int, kind: str) -> bool:
    """Forget one signal (a rating, an upvote, or the paper's saves in every collection); True if one went."""
    if kind in (LIKE, DISLIKE):
        result = session.execute(delete(PaperRating).where(PaperRating.member_id == member_id,
                                                           PaperRating.paper_id == paper_id))
    elif kind == UPVOTE:
        # Through the votes service, so that the paper's counters and trending score follow.
        paper = session.get(Paper, paper_id)
        if paper is None:
            return False
        return unvote(session, public_id=paper.public_id, member_id=member_id, now=datetime.now(UTC)).voted is False
    elif kind == SAVE:
        mine = select(Collection.id).where(Collection.member_id == member_id)
        result = session.execute(delete(CollectionItem).where(CollectionItem.paper_id == paper_id,
                                                              CollectionItem.collection_id.in_(mine)))
    else:
        raise RecommendError(f"unknown signal {kind!r}")
    return bool(getattr(result, "rowcount", 0))


def parse_categories(values: list[str]) -> list[str]:
    """Clean, de-duplicated arXiv categories ("cs.LG", "hep-th"); RecommendError for anything else."""
    out: list[str] = []
    for raw in values:
        value = raw.strip()
        if not value:
            continue
        if not _CATEGORY.match(value):
            shown = value if len(value) <= 30 else value[:30] + "…"
            raise RecommendError(f"{shown!r} is not an arXiv category (e.g. cs.LG, hep-th)")
        if value not in out:
            out.append(value)
    if len(out) > MAX_CATEGORIES:
        raise RecommendError(f"pick at most {MAX_CATEGORIES} categories")
    return out


def pick_categories(session: Session, *, member_id: int, categories: list[str], now: datetime | None = None) -> None:
    """Store the categories of the first visit (replacing earlier ones) and mark the start done."""
    at = _now(now)
    taste = _taste(session, member_id, at)
    taste.categories = ",".join(parse_categories(categories))
    taste.started_at = taste.started_at or at
    taste.updated_at = at


def set_paused(session: Session, *, member_id: int, paused: bool, now: datetime | None = None) -> None:
    """Pause (the list falls back to the cold-start one) or resume personalisation."""
    at = _now(now)
    taste = _taste(session, member_id, at)
    taste.paused = paused
    taste.updated_at = at


def reset(session: Session, *, member_id: int, now: datetime | None = None) -> None:
    """Start over: every signal so far is ignored, the picked categories forgotten, the first visit shown again."""
    at = _now(now)
    taste = _taste(session, member_id, at)
    taste.reset_at = at
    taste.categories = ""
    taste.started_at = None
    taste.paused = False
    taste.updated_at = at
