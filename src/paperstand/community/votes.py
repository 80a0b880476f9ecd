"""Upvotes: one per member per paper, cast and taken back idempotently, whatever arrives at once.

Every write is a single statement whose outcome the database decides: an insert that skips an
existing ``(paper_id, member_id)`` row (the table's unique key) or a delete. Fifty identical requests
at once therefore leave one row, and no request reads before it writes, so none can act on a stale
answer. On SQLite the write is also the first statement of the transaction, so it takes the write lock
at once and waits its turn (``busy_timeout``) instead of failing to upgrade a read snapshot.

Hugging Face's imported count (the ``hf_upvotes`` signal) is never touched here: it stays a separate,
external number, shown beside ours and added to it only where the Hugging Face-compatible API needs one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperstand.community.models import Vote
from paperstand.dialect import dialect_name, insert_or_ignore, on_sqlite
from paperstand.errors import BadRequest, NotFound
from paperstand.papers.models import ExternalSignal
from paperstand.papers.queries import PaperRef, find_paper_ref, find_paper_refs
from paperstand.ranking.service import paper_activities, refresh_paper, store_activities
from paperstand.round_trips import Batch, batch_transaction, one_round_trip

# No paper id is anywhere near this long (old-style ids with a version are about 20 characters);
# longer ones are refused before any lookup.
MAX_ID = 100


@dataclass(frozen=True)
class VoteState:
    """A paper's upvotes right after a member's vote: ours, Hugging Face's, and whether they voted."""

    paper: PaperRef
    local: int
    voted: bool
    hf: int | None = None

    @property
    def total(self) -> int:
        """Local and Hugging Face upvotes together: the ``upvotes`` of the compatible API."""
        return self.local + (self.hf or 0)


def upvote(session: Session, *, public_id: str, member_id: int, now: datetime) -> VoteState:
    """Upvote a paper (arXiv id or local key) as ``member_id``; repeating it changes nothing. Commits."""
    paper = _paper(session, public_id)
    with _write_turn(session):
        _insert(session, paper.id, member_id, now)
        return _finish(session, paper, now, voted=True)


def unvote(session: Session, *, public_id: str, member_id: int, now: datetime) -> VoteState:
    """Take back ``member_id``'s upvote of a paper; repeating it (or never having voted) changes nothing. Commits."""
    paper = _paper(session, public_id)
    with _write_turn(session):
        _delete(session, paper.id, member_id)
        return _finish(session, paper, now, voted=False)


def toggle(session: Session, *, public_id: str, member_id: int, now: datetime) -> VoteState:
    """Take back the member's upvote if there is one, else cast it. Commits.

    Delete first and let its row count decide: of two toggles at once, one deletes and the other,
    finding nothing, inserts, so two toggles end where a double click should (voted again), and no
    toggle acts on a count read before another one wrote.
    """
    paper = _paper(session, public_id)
    with _write_turn(session):
        if _delete(session, paper.id, member_id):
            return _finish(session, paper, now, voted=False)
        _insert(session, paper.id, member_id, now)
        return _finish(session, paper, now, voted=True)


@dataclass(frozen=True)
class Ballot:
    """One vote to record: whose, on which paper (as the caller named it), cast (``up``) or taken back."""

    public_id: str
    member_id: int
    up: bool


def record_many(session: Session, ballots: Sequence[Ballot], *, now: datetime,
                wait: bool = True) -> list[VoteState | NotFound]:
    """Record ``ballots`` in order in one transaction, with a handful of statements for all of them.

    Papers are looked up together, the inserts and deletes go as one ``executemany`` each (split only
    where one member votes twice on one paper, so order holds), every touched paper's score is refreshed
    at once, and there is one commit. Each ballot is answered as ``upvote`` or ``unvote`` would answer it
    alone, with the counts the commit leaves; a ballot naming no stored paper gets its NotFound and the
    others still count. A database error (a paper merged away under a vote: a foreign key) rolls back
    all of them and is raised, for the caller to record them one by one. With ``wait=False`` it raises
    ``WriteTurnTaken`` at once, writing nothing, when another vote of this process is being written.
    """
    with batch_transaction(session) as batch:
        refs = find_paper_refs(session, [b.public_id for b in ballots if 0 < len(b.public_id) <= MAX_ID])
        with _write_turn(session, wait=wait):
            ups: list[dict[str, object]] = []
            downs: list[dict[str, object]] = []
            pending: set[tuple[int, int]] = set()
            for ballot in ballots:
                ref = refs.get(ballot.public_id)
                if ref is None:
                    continue
                key = (ref.id, ballot.member_id)
                if key in pending:  # the same member's second vote on this paper: the first one goes first
                    _write_all(session, batch, ups, downs)
                    pending.clear()
                pending.add(key)
                row: dict[str, object] = {"paper_id": ref.id, "member_id": ballot.member_id}
                (ups if ballot.up else downs).append({**row, "created_at": now} if ballot.up else row)
            _write_all(session, batch, ups, downs)
            touched = {r.id for r in refs.values()}
            found = paper_activities(session, paper_ids=touched, now=now)
            with one_round_trip(session):  # the scores and the commit: one round trip on PostgreSQL
                store_activities(session, found, paper_ids=touched, now=now)
                batch.commit()
    counts = {pid: (a.votes, a.hf_upvotes) for pid, a in found.items()}
    answers: list[VoteState | NotFound] = []
    for ballot in ballots:
        ref = refs.get(ballot.public_id)
        if ref is None:
            answers.append(NotFound(f"votes: no paper with id {ballot.public_id[:MAX_ID]!r} is stored here"))
            continue
        local, hf = counts.get(ref.id, (0, None))
        answers.append(VoteState(ref, local, ballot.up, hf))
    return answers


def _write_all(session: Session, batch: Batch, ups: list[dict[str, object]], downs: list[dict[str, object]]) -> None:
    """Run the queued inserts, then the queued deletes (each as one executemany, both in one round trip on
    PostgreSQL, with the transaction's BEGIN when they are its first writes), and empty both queues."""
    if not ups and not downs:
        return
    conn = session.connection()
    with one_round_trip(session):
        batch.begin()
        if ups:
            conn.execute(_insert_statement(session), ups)
        if downs:
            conn.execute(_DELETE, downs)
    ups.clear()
    downs.clear()


def cast_vote(session: Session, *, public_id: str, member_id: int, action: str, now: datetime) -> VoteState:
    """``upvote``, ``unvote`` or ``toggle`` as a form's ``action`` (``up``, ``down``, ``toggle``) names it."""
    if action == "up":
        return upvote(session, public_id=public_id, member_id=member_id, now=now)
    if action == "down":
        return unvote(session, public_id=public_id, member_id=member_id, now=now)
    if action == "toggle":
        return toggle(session, public_id=public_id, member_id=member_id, now=now)
    raise BadRequest("votes: action must be up, down or toggle")


def vote_state(session: Session, *, public_id: str, member_id: int | None) -> VoteState:
    """A paper's upvotes as a member (or, with ``None``, anybody) sees them, without changing anything."""
    paper = _paper(session, public_id)
    voted = member_id is not None and session.execute(
        select(Vote.id).where(Vote.paper_id == paper.id, Vote.member_id == member_id)).first() is not None
    local, hf = _counts(session, paper.id)
    return VoteState(paper, local, voted, hf)


# SQLite has one writer at a time, and a writer that finds the lock taken sleeps in SQLite's busy handler
# (1, 2, 5, 10 … 100 ms) before it looks again, however soon the lock is free: twenty voters in one process
# spent most of their time asleep. They queue on this lock instead, each taking SQLite's write lock the
# moment the previous vote commits; writers of other processes are still waited for by ``busy_timeout``.
_SQLITE_WRITER = threading.Lock()


class WriteTurnTaken(Exception):
    """Another vote of this process holds SQLite's write turn (only raised when asked not to wait)."""


@contextmanager
def _write_turn(session: Session, *, wait: bool = True) -> Iterator[None]:
    """Hold this process's SQLite write turn for the rest of the vote's transaction (PostgreSQL: nothing)."""
    if not on_sqlite(session):
        yield
        return
    if not _SQLITE_WRITER.acquire(blocking=wait):
        raise WriteTurnTaken
    try:
        yield
    finally:
        if session.in_transaction():  # an error before the commit: let the next vote have the lock
            session.rollback()
        _SQLITE_WRITER.release()


def _paper(session: Session, public_id: str) -> PaperRef:
    """The paper an id names, or NotFound (hostile or overlong ids included)."""
    paper = find_paper_ref(session, public_id) if 0 < len(public_id) <= MAX_ID else None
    if paper is None:
        raise NotFound(f"votes: no paper with id {public_id[:MAX_ID]!r} is stored here")
    return paper


# Each vote runs a handful of one-row statements, so building them is a real part of its cost: they are
# built once, with bound parameters, and run on the session's Connection as Core statements (the ORM's
# bulk-insert path and object bookkeeping would cost more than the statements themselves).
_DELETE = delete(Vote).where(Vote.paper_id == bindparam("paper_id"), Vote.member_id == bindparam("member_id"))
_COUNTS = select(
    select(func.count()).select_from(Vote).where(Vote.paper_id == bindparam("paper_id")).scalar_subquery(),
    select(ExternalSignal.value).where(ExternalSignal.paper_id == bindparam("paper_id"),
                                       ExternalSignal.name == "hf_upvotes").scalar_subquery())
_INSERTS: dict[str, Executable] = {}


def _insert_statement(session: Session) -> Executable:
    name = dialect_name(session)
    if name not in _INSERTS:
        # inline(): the new row's id is never read back, so PostgreSQL's insert returns no rows and can
        # share a round trip with other writes (``one_round_trip``).
        _INSERTS[name] = insert_or_ignore(session, Vote, keys=("paper_id", "member_id")).inline()
    return _INSERTS[name]


def _insert(session: Session, paper_id: int, member_id: int, now: datetime) -> None:
    stmt = _insert_statement(session)
    try:
        session.connection().execute(stmt, {"paper_id": paper_id, "member_id": member_id, "created_at": now})
    except IntegrityError:
        # A foreign key: the paper was merged away (or the member removed) since it was looked up.
        session.rollback()
        raise NotFound("votes: that paper or member no longer exists") from None


def _delete(session: Session, paper_id: int, member_id: int) -> int:
    result = session.connection().execute(_DELETE, {"paper_id": paper_id, "member_id": member_id})
    return int(cast(CursorResult[Any], result).rowcount)


def _finish(session: Session, paper: PaperRef, now: datetime, *, voted: bool) -> VoteState:
    """Refresh the paper's stored score, count, commit: the count is the one this commit leaves."""
    local, hf = _refreshed_counts(session, paper.id, now)
    session.commit()
    return VoteState(paper, local, voted, hf)


def _refreshed_counts(session: Session, paper_id: int, now: datetime) -> tuple[int, int | None]:
    """Refresh the paper's stored score; its local and Hugging Face upvotes as that refresh read them."""
    activity = refresh_paper(session, paper_id=paper_id, now=now)
    return (activity.votes, activity.hf_upvotes) if activity is not None else _counts(session, paper_id)


def _counts(session: Session, paper_id: int) -> tuple[int, int | None]:
    """The paper's local upvotes and its imported Hugging Face count (``None`` if none), in one query."""
    row = session.connection().execute(_COUNTS, {"paper_id": paper_id}).one()
    return int(row[0]), row[1]
