"""Keeping the stored trending scores current: in bulk (a worker job) and for one paper (after a vote).

Which papers are stored: those with a counted vote or comment inside the activity window
(:data:`paperstand.ranking.trending.ACTIVITY_WINDOW`), the only papers :func:`trending_score` calls
trending. The others have no row, so they are simply not on /papers/trending; that keeps the table, and
each run's writes, to the papers people are acting on now rather than every paper ever stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from time import perf_counter

from sqlalchemy import (
    BindParameter,
    Integer,
    ScalarSelect,
    bindparam,
    case,
    cast,
    exists,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.community.models import AuthorClaim, Comment, Vote
from paperstand.db import UTCDateTime
from paperstand.papers.models import DailyPick, ExternalSignal, Paper
from paperstand.ranking import store
from paperstand.ranking.bulk import changed, compute
from paperstand.ranking.trending import Trending, trending_score, vote_weight
from paperstand.round_trips import one_round_trip

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


# The inputs of a few papers, read after every vote and comment (or batch of votes): one statement for any
# number of papers, built once with bound parameters and run on the session's Connection. Built per call
# through the ORM, the reads cost several times their own run time, which made this refresh most of a
# vote's cost; and as three statements they were three round trips, on PostgreSQL each a wait of the event
# loop that writes votes (``paperstand.api.vote_writer``).
_IDS: BindParameter[list[int]] = bindparam("paper_ids", expanding=True)


def _signal(name: str) -> ScalarSelect[int]:
    return select(ExternalSignal.value).where(ExternalSignal.paper_id == Paper.id,
                                              ExternalSignal.name == name).scalar_subquery()


# A vote counts 0 from the paper's submitter, its verified authors and banned voters (the flag column).
_EXCLUDED = or_(
    Member.banned_at.is_not(None),
    exists().where(DailyPick.paper_id == Vote.paper_id, DailyPick.member_id == Vote.member_id),
    exists().where(AuthorClaim.paper_id == Vote.paper_id, AuthorClaim.member_id == Vote.member_id,
                   AuthorClaim.status == "approved"))
# The three kinds of row share columns: (kind, paper, time, time, flag, number, number). The first select's
# typed NULLs give every column its type (its result processing: aware UTC datetimes).
_COMMENT_ROW, _VOTE_ROW, _PAPER_ROW = 0, 1, 2
_NO_TIME = cast(null(), UTCDateTime())
_NO_INT = cast(null(), Integer())
_ACTIVITY = union_all(
    select(literal_column(str(_COMMENT_ROW), Integer()), Comment.paper_id, Comment.created_at, _NO_TIME, _NO_INT,
           _NO_INT, _NO_INT)
    .where(Comment.paper_id.in_(_IDS), Comment.deleted_at.is_(None), Comment.hidden_at.is_(None)),
    select(literal_column(str(_VOTE_ROW), Integer()), Vote.paper_id, Vote.created_at, Member.created_at,
           case((_EXCLUDED, 1), else_=0), _NO_INT, _NO_INT)
    .join(Member, Member.id == Vote.member_id).where(Vote.paper_id.in_(_IDS)),
    # Hugging Face's upvotes ride along (a vote answers with them) rather than costing a statement of their own.
    select(literal_column(str(_PAPER_ROW), Integer()), Paper.id, Paper.published_at, Paper.first_seen_at, _NO_INT,
           _signal("github_stars"), _signal("hf_upvotes"))
    .where(Paper.id.in_(_IDS)))


@dataclass(frozen=True)
class Activity:
    """What one paper's refresh read: its trending score and the vote counts a vote answers with."""

    trending: Trending
    votes: int  # every stored local vote, counted for trending or not
    hf_upvotes: int | None  # the imported Hugging Face count; None when none was imported


def paper_activities(session: Session, *, paper_ids: Collection[int], now: datetime) -> dict[int, Activity]:
    """Papers' scores at ``now`` and their vote counts, from what is stored (papers not stored are left out)."""
    ids = sorted(set(paper_ids))
    if not ids:
        return {}
    comments: dict[int, list[datetime]] = defaultdict(list)
    votes: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    papers = []
    for kind, paper, at, other, excluded, stars, hf in session.connection().execute(_ACTIVITY, {"paper_ids": ids}):
        if kind == _COMMENT_ROW:
            comments[paper].append(at)
        elif kind == _VOTE_ROW:
            votes[paper].append((at, vote_weight(voted_at=at, joined_at=other, excluded=bool(excluded))))
        else:
            papers.append((paper, at or other, stars, hf))
    found: dict[int, Activity] = {}
    for paper, published, stars, hf in papers:
        score = trending_score(votes=votes[paper], comments=comments[paper], stars=stars or 0,
                               published_at=published, now=now)
        found[paper] = Activity(score, len(votes[paper]), hf)
    return found


def paper_activity(session: Session, *, paper_id: int, now: datetime) -> Activity | None:
    """One paper's score at ``now`` and its vote counts, from what is stored (``None``: no such paper)."""
    return paper_activities(session, paper_ids=[paper_id], now=now).get(paper_id)


def score_paper(session: Session, *, paper_id: int, now: datetime) -> Trending | None:
    """One paper's trending score at ``now`` from what is stored (``None``: no such paper)."""
    activity = paper_activity(session, paper_id=paper_id, now=now)
    return None if activity is None else activity.trending


def refresh_paper(session: Session, *, paper_id: int, now: datetime) -> Activity | None:
    """Recompute one paper's stored score in the caller's transaction (called after a vote or comment).

    Returns what it read, so a vote answers with the counts its own transaction sees without asking again.
    """
    return refresh_papers(session, paper_ids=[paper_id], now=now).get(paper_id)


def refresh_papers(session: Session, *, paper_ids: Collection[int], now: datetime) -> dict[int, Activity]:
    """``refresh_paper`` for several papers at once: one upsert and one delete for all of them."""
    found = paper_activities(session, paper_ids=paper_ids, now=now)
    with one_round_trip(session):
        store_activities(session, found, paper_ids=paper_ids, now=now)
    return found


def store_activities(session: Session, found: dict[int, Activity], *, paper_ids: Collection[int],
                     now: datetime) -> None:
    """Store the scores ``paper_activities`` read for ``paper_ids``: an upsert, and a delete for papers that
    stopped trending (or are gone). Neither returns rows, so a caller may send them in one round trip."""
    conn = session.connection()
    trending = [store.one_row(conn, pid, a.trending, now) for pid, a in found.items() if a.trending.trends]
    if trending:
        store.write(conn, trending)
    store.remove_many(conn, paper_ids=[pid for pid in set(paper_ids)
                                       if pid not in found or not found[pid].trending.trends], now=now)


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
