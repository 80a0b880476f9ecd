"""Every trending paper's score at once: each table read in one pass as columns, the formula over numpy arrays.

The arithmetic is :func:`paperstand.ranking.trending.trending_score`'s, operation for operation, so a paper
scores the same here as when it is refreshed alone (a test holds the two equal): the logarithms are
taken by the pure functions themselves, once per distinct count (there are few: votes are counted in
halves, comments and stars are whole numbers), and the age part repeats their float operations.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, case, func, select

from paperstand.accounts.models import Member
from paperstand.community.models import AuthorClaim, Comment, Vote
from paperstand.papers.models import DailyPick, ExternalSignal, Paper
from paperstand.ranking import trending
from paperstand.ranking.columns import Array, Int64s, Real, Seconds, read_columns
from paperstand.ranking.models import TrendingScore

Floats = np.ndarray[Any, np.dtype[np.float64]]
# Votes are read in slices of this many ids, so the text of a slice's columns stays small (~50 MB).
READ_SLICE = 1_000_000
# The window is applied exactly on whole seconds in numpy; the SQL filter only needs to be no narrower.
_SLACK = 2


@dataclass
class Scores:
    """The scored papers, one array element per paper, in paper id order (what :mod:`.store` writes)."""

    paper_id: Int64s
    score: Floats
    votes: Floats
    votes_part: Floats
    stars: Int64s
    stars_part: Floats
    comments: Int64s
    comments_part: Floats
    age_hours: Floats
    age_part: Floats
    votes_since: Int64s  # whole seconds; -1 where no vote counted

    def __len__(self) -> int:
        return len(self.paper_id)

    def part(self, start: int, end: int) -> Scores:
        """The papers ``start`` to ``end`` (exclusive) of these."""
        return Scores(*(getattr(self, f.name)[start:end] for f in fields(self)))

    def part_where(self, mask: Any) -> Scores:
        """The papers where ``mask`` is true."""
        return Scores(*(getattr(self, f.name)[mask] for f in fields(self)))


def _window(now: datetime) -> tuple[int, int]:
    now_s = trending.seconds(now)
    return now_s - trending.WINDOW_SECONDS, now_s


def _naive(whole: int) -> datetime:
    """A time as stored (naive UTC): bulk reads pass their parameters to the driver as they are."""
    return trending.from_seconds(whole).replace(tzinfo=None)


def _loose(lo: int, hi: int) -> tuple[datetime, datetime]:
    """Bounds for SQL that hold the window's whole seconds ``(lo, hi]`` whatever the stored fractions."""
    return _naive(lo - _SLACK), _naive(hi + _SLACK)


def _votes(conn: Connection, lo: int, hi: int) -> list[Int64s]:
    """(paper, member, seconds) of the votes inside the window, loosely (``compute`` applies it exactly)."""
    last = conn.execute(select(func.max(Vote.id))).scalar_one() or 0
    after, before = _loose(lo, hi)
    slices = [read_columns(conn, [Vote.paper_id, Vote.member_id, Seconds(Vote.created_at)],
                           Vote.id > start, Vote.id <= start + READ_SLICE,
                           Vote.created_at > after, Vote.created_at < before)
              for start in range(0, last, READ_SLICE)]
    return [np.concatenate([s[i] for s in slices]) if slices else np.zeros(0, np.int64) for i in range(3)]


def _pairs(conn: Connection, paper: Any, member: Any, *conditions: Any) -> Int64s:
    """(paper, member) pairs as one int64 key each."""
    papers, members = read_columns(conn, [paper, member], *conditions)
    return (papers << 32) | members


@dataclass
class _People:
    """Who voted: each member's join time and ban by member id, and the (paper, member) pairs that count 0."""

    known: Any
    joined_at: Int64s
    banned: Any
    excluded_pairs: Int64s


def _people(conn: Connection) -> _People:
    ids, joined, banned = read_columns(conn, [Member.id, Seconds(Member.created_at),
                                              case((Member.banned_at.is_(None), 0), else_=1)])
    size = int(ids.max(initial=0)) + 1
    known, joined_at, is_banned = np.zeros(size, bool), np.zeros(size, np.int64), np.zeros(size, bool)
    known[ids], joined_at[ids], is_banned[ids] = True, joined, banned.astype(bool)
    pairs = np.concatenate([
        _pairs(conn, DailyPick.paper_id, DailyPick.member_id, DailyPick.member_id.is_not(None)),
        _pairs(conn, AuthorClaim.paper_id, AuthorClaim.member_id, AuthorClaim.status == "approved")])
    return _People(known, joined_at, is_banned, pairs)


def _weights(people: _People, paper: Int64s, member: Int64s, at: Int64s) -> Floats:
    """Each vote's weight (:func:`trending.vote_weight`): 0 excluded, 0.5 from a young account, else 1."""
    pairs = people.excluded_pairs
    # Only votes on papers with a submitter or verified author can be theirs: look those up, not all.
    concerned = np.zeros(max(int(paper.max(initial=0)), int((pairs >> 32).max(initial=0))) + 1, bool)
    concerned[pairs >> 32] = True
    maybe = np.flatnonzero(concerned[paper])
    excluded = np.zeros(len(paper), bool)
    excluded[maybe] = np.isin((paper[maybe] << 32) | member[maybe], pairs)
    # A voter missing from ``members`` joined after the members were read (counted at the next run) or was
    # deleted (its votes with it).
    known = member < len(people.known)
    member = np.where(known, member, 0)
    known &= people.known[member]
    excluded |= people.banned[member] | ~known
    young = at - people.joined_at[member] < trending.YOUNG_SECONDS
    weight = np.where(young, trending.YOUNG_ACCOUNT_WEIGHT, 1.0)
    return np.where(excluded, trending.EXCLUDED_WEIGHT, weight)


def _by_value(values: Any, points: Any) -> Floats:
    """``points(v)`` for each element, computed once per distinct value by the pure function itself."""
    distinct, where = np.unique(values, return_inverse=True)
    return np.array([points(v) for v in distinct.tolist()], np.float64)[where].reshape(-1)


def _published(conn: Connection) -> tuple[Int64s, Any]:
    """Each paper's first date in whole seconds (published, else first seen) by paper id, and which exist."""
    ids, first = read_columns(conn, [Paper.id, Seconds(func.coalesce(Paper.published_at, Paper.first_seen_at))])
    size = int(ids.max(initial=0)) + 1
    at, exists = np.zeros(size, np.int64), np.zeros(size, bool)
    at[ids], exists[ids] = first, True
    return at, exists


def _comments(conn: Connection, lo: int, hi: int) -> Int64s:
    """The paper of each comment inside the window, not deleted and not hidden."""
    after, before = _loose(lo, hi)
    c_paper, c_at = read_columns(conn, [Comment.paper_id, Seconds(Comment.created_at)],
                                 Comment.deleted_at.is_(None), Comment.hidden_at.is_(None),
                                 Comment.created_at > after, Comment.created_at < before)
    return c_paper[(c_at > lo) & (c_at <= hi)]


def compute(conn: Connection, *, now: datetime, side: Connection | None = None) -> tuple[Scores, dict[str, Array]]:
    """The scores at ``now`` of every paper with a counted vote or comment inside the window, and the stored rows.

    With ``side``, a second connection, the votes (half the reading) are read in a thread meanwhile: both
    drivers let other threads run while the database works, so two cores share the reading. Each read is
    its own snapshot either way; a vote committed in between is counted now or at the next run.
    """
    lo, hi = _window(now)
    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(_votes, side, lo, hi) if side is not None else None
        c_paper = _comments(conn, lo, hi)
        published, exists = _published(conn)
        stars = _stars(conn)
        people = _people(conn)
        old = stored(conn)
        v_paper, v_member, v_at = later.result() if later is not None else _votes(conn, lo, hi)
    weight = _weights(people, v_paper, v_member, v_at)
    counted = (weight > 0) & (v_at > lo) & (v_at <= hi)
    v_paper, v_at, weight = v_paper[counted], v_at[counted], weight[counted]
    size = int(max(v_paper.max(initial=0), c_paper.max(initial=0), len(published) - 1)) + 1
    votes = np.bincount(v_paper, weights=weight, minlength=size).astype(np.float64)
    comments = np.bincount(c_paper, minlength=size)
    first = np.full(size, np.iinfo(np.int64).max)
    np.minimum.at(first, v_paper, v_at)
    ids = np.flatnonzero(((votes > 0) | (comments > 0))[:len(exists)] & exists)
    star_of = np.zeros(len(exists), np.int64)
    star_of[:min(len(stars), len(exists))] = stars[:len(exists)]
    return _score(ids, votes[ids], comments[ids], np.where(votes[ids] > 0, first[ids], -1), hi - published[ids],
                  star_of[ids]), old


# What decides whether a stored row is still right: the parts follow from the counts and the age (and
# a change of the formula's constants changes the score).
_COMPARED = ("score", "votes", "stars", "comments", "age_hours", "votes_since")


def stored(conn: Connection) -> dict[str, Array]:
    """The table's rows now: ``paper_id`` and the :data:`_COMPARED` columns (``votes_since`` -1 where NULL)."""
    kinds: list[Any] = [TrendingScore.paper_id]
    for name in _COMPARED:
        column = getattr(TrendingScore, name)
        kinds.append(Seconds(func.coalesce(column, _naive(-1))) if name == "votes_since"
                     else Real(column) if name in ("score", "votes", "age_hours") else column)
    return dict(zip(("paper_id", *_COMPARED), read_columns(conn, kinds), strict=True))


def changed(new: Scores, old: dict[str, Array]) -> tuple[Any, Int64s]:
    """Which of ``new`` differ from (or are missing in) ``old``, and the ids in ``old`` missing from ``new``."""
    size = int(max(new.paper_id.max(initial=0), old["paper_id"].max(initial=0))) + 1
    held = np.zeros(size, bool)
    held[old["paper_id"]] = True
    same = held[new.paper_id]
    for name in _COMPARED:
        by_paper = np.zeros(size, old[name].dtype)
        by_paper[old["paper_id"]] = old[name]
        same &= by_paper[new.paper_id] == getattr(new, name)
    held[new.paper_id] = False
    return ~same, np.flatnonzero(held)


def _stars(conn: Connection) -> Int64s:
    """GitHub stars by paper id (0 where none are known)."""
    paper, value = read_columns(conn, [ExternalSignal.paper_id, ExternalSignal.value],
                                ExternalSignal.name == "github_stars")
    by_paper = np.zeros(int(paper.max(initial=0)) + 1, np.int64)
    by_paper[paper] = np.maximum(value, 0)
    return by_paper


def _score(ids: Int64s, votes: Floats, comments: Int64s, since: Int64s, age_seconds: Int64s,
           stars: Int64s) -> Scores:
    votes_part = _by_value(votes, trending.votes_points)
    stars_part = _by_value(stars, trending.stars_points)
    comments_part = _by_value(comments, trending.comments_points)
    # trending.age_hours, age_points and total, as array operations in the same order.
    hours = np.maximum(age_seconds, 0) // 3600
    age_part = np.floor((-hours / trending.HOURS_PER_POINT) * 10 + 0.5) / 10
    score = np.floor((votes_part + stars_part + comments_part + age_part) * 10 + 0.5) / 10
    return Scores(ids, score, votes, votes_part, stars, stars_part, comments.astype(np.int64), comments_part,
                  hours.astype(np.float64), age_part, since)
