"""Keeping the stored trending scores current: in bulk (a worker job) and for one paper (after a vote).

Which papers are stored: those with a counted vote or comment inside the activity window
(:data:`paperstand.ranking.trending.ACTIVITY_WINDOW`), the only papers :func:`trending_score` calls
trending. The others have no row, so they are simply not on /papers/trending; that keeps the table, and
each run's writes, to the papers people are acting on now rather than every paper ever stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from time import perf_counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.community.models import AuthorClaim, Comment, Vote
from paperstand.papers.models import DailyPick, ExternalSignal, Paper
from paperstand.ranking import store
from paperstand.ranking.bulk import changed, compute
from paperstand.ranking.trending import Trending, trending_score, vote_weight

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RecomputeReport:
    """What a bulk run did: papers trending, rows (re)written and removed, and where the time went."""

    scored: int
    written: int
    removed: int
    read_seconds: float
    write_seconds: float

    def line(self) -> str:
        """One line for the worker log and the CLI."""
        return (f"{self.scored:,} papers trending: {self.written:,} scores changed, {self.removed:,} papers "
                f"stopped trending (read and computed in {self.read_seconds:.1f} s, written in "
                f"{self.write_seconds:.1f} s)")


def _votes(session: Session, paper_id: int) -> list[tuple[datetime, float]]:
    """The paper's votes as (time, weight): the submitter, verified authors and banned voters count 0."""
    excluded = set(session.execute(select(DailyPick.member_id).where(
        DailyPick.paper_id == paper_id, DailyPick.member_id.is_not(None))).scalars())
    excluded |= set(session.execute(select(AuthorClaim.member_id).where(
        AuthorClaim.paper_id == paper_id, AuthorClaim.status == "approved")).scalars())
    rows = session.execute(select(Vote.created_at, Vote.member_id, Member.created_at, Member.banned_at)
                           .join(Member, Member.id == Vote.member_id).where(Vote.paper_id == paper_id))
    return [(voted, vote_weight(voted_at=voted, joined_at=joined,
                                excluded=member in excluded or banned is not None))
            for voted, member, joined, banned in rows]


def score_paper(session: Session, *, paper_id: int, now: datetime) -> Trending | None:
    """One paper's trending score at ``now`` from what is stored (``None``: no such paper)."""
    dates = session.execute(select(Paper.published_at, Paper.first_seen_at).where(Paper.id == paper_id)).first()
    if dates is None:
        return None
    comments = list(session.execute(select(Comment.created_at).where(
        Comment.paper_id == paper_id, Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))).scalars())
    stars = session.execute(select(ExternalSignal.value).where(
        ExternalSignal.paper_id == paper_id, ExternalSignal.name == "github_stars")).scalar_one_or_none()
    return trending_score(votes=_votes(session, paper_id), comments=comments, stars=stars or 0,
                          published_at=dates.published_at or dates.first_seen_at, now=now)


def refresh_paper(session: Session, *, paper_id: int, now: datetime) -> None:
    """Recompute one paper's stored score in the caller's transaction (called after a vote or comment)."""
    result = score_paper(session, paper_id=paper_id, now=now)
    conn = session.connection()
    if result is not None and result.trends:
        store.write(conn, [store.one_row(conn, paper_id, result, now)])
    else:
        store.remove_one(conn, paper_id=paper_id, now=now)


def recompute_all(session: Session, *, now: datetime, progress: Progress | None = None) -> RecomputeReport:
    """Recompute every trending paper's score at ``now``; store those that changed, drop papers that stopped.

    It reads what is committed, on two connections at once (see :func:`compute`). Rows whose numbers are
    unchanged keep their ``computed_at``: with age counted in whole hours, a run every
    few minutes rewrites only the papers whose hour ticked over or that people acted on. Commits every
    :data:`store.ROWS_PER_COMMIT` rows, so writers (votes) never wait long; pages meanwhile show some papers'
    new scores beside others' previous ones, each row whole and adding up.
    """
    started = perf_counter()
    with session.get_bind().engine.connect() as side:
        scores, held = compute(session.connection(), now=now, side=side)
    differs, gone = changed(scores, held)
    session.commit()
    todo = scores.part_where(differs)
    read = perf_counter() - started
    if progress is not None:
        progress(0, len(todo))
    for start in range(0, len(todo), store.ROWS_PER_COMMIT):
        part = todo.part(start, start + store.ROWS_PER_COMMIT)
        store.write_scores(session.connection(), part, now)
        session.commit()
        if progress is not None:
            progress(start + len(part), len(todo))
    removed = store.remove(session.connection(), gone.tolist(), before=now)
    session.commit()
    return RecomputeReport(len(scores), len(todo), removed, read, perf_counter() - started - read)
