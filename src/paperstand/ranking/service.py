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

from sqlalchemy import BindParameter, Connection, ScalarSelect, bindparam, or_, select
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


# One paper's inputs, read after every vote and comment: three statements built once with bound parameters
# and run on the session's Connection. Built per call through the ORM, they cost several times their own
# run time, which made this refresh most of a vote's cost.
_PAPER_ID: BindParameter[int] = bindparam("paper_id")
def _signal(name: str) -> ScalarSelect[int]:
    return select(ExternalSignal.value).where(ExternalSignal.paper_id == _PAPER_ID,
                                              ExternalSignal.name == name).scalar_subquery()


# Hugging Face's upvotes ride along (a vote answers with them) rather than costing a statement of their own.
_DATES = select(Paper.published_at, Paper.first_seen_at, _signal("github_stars"), _signal("hf_upvotes")).where(
    Paper.id == _PAPER_ID)
_COMMENTS = select(Comment.created_at).where(
    Comment.paper_id == _PAPER_ID, Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))
# A vote counts 0 from the paper's submitter, its verified authors and banned voters (the flag column).
_EXCLUDED = or_(
    Member.banned_at.is_not(None),
    Vote.member_id.in_(select(DailyPick.member_id).where(DailyPick.paper_id == _PAPER_ID,
                                                         DailyPick.member_id.is_not(None))),
    Vote.member_id.in_(select(AuthorClaim.member_id).where(AuthorClaim.paper_id == _PAPER_ID,
                                                           AuthorClaim.status == "approved")))
_VOTES = (select(Vote.created_at, Member.created_at, _EXCLUDED)
          .join(Member, Member.id == Vote.member_id).where(Vote.paper_id == _PAPER_ID))


@dataclass(frozen=True)
class Activity:
    """What one paper's refresh read: its trending score and the vote counts a vote answers with."""

    trending: Trending
    votes: int  # every stored local vote, counted for trending or not
    hf_upvotes: int | None  # the imported Hugging Face count; None when none was imported


def _votes(conn: Connection, paper_id: int) -> list[tuple[datetime, float]]:
    """The paper's votes as (time, weight): the submitter, verified authors and banned voters count 0."""
    return [(voted, vote_weight(voted_at=voted, joined_at=joined, excluded=bool(excluded)))
            for voted, joined, excluded in conn.execute(_VOTES, {"paper_id": paper_id})]


def paper_activity(session: Session, *, paper_id: int, now: datetime) -> Activity | None:
    """One paper's score at ``now`` and its vote counts, from what is stored (``None``: no such paper)."""
    conn = session.connection()
    dates = conn.execute(_DATES, {"paper_id": paper_id}).first()
    if dates is None:
        return None
    published, first_seen, stars, hf = dates
    comments = list(conn.execute(_COMMENTS, {"paper_id": paper_id}).scalars())
    votes = _votes(conn, paper_id)
    score = trending_score(votes=votes, comments=comments, stars=stars or 0,
                           published_at=published or first_seen, now=now)
    return Activity(score, len(votes), hf)


def score_paper(session: Session, *, paper_id: int, now: datetime) -> Trending | None:
    """One paper's trending score at ``now`` from what is stored (``None``: no such paper)."""
    activity = paper_activity(session, paper_id=paper_id, now=now)
    return None if activity is None else activity.trending


def refresh_paper(session: Session, *, paper_id: int, now: datetime) -> Activity | None:
    """Recompute one paper's stored score in the caller's transaction (called after a vote or comment).

    Returns what it read, so a vote answers with the counts its own transaction sees without asking again.
    """
    activity = paper_activity(session, paper_id=paper_id, now=now)
    conn = session.connection()
    if activity is not None and activity.trending.trends:
        store.write(conn, [store.one_row(conn, paper_id, activity.trending, now)])
    else:
        store.remove_one(conn, paper_id=paper_id, now=now)
    return activity


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
