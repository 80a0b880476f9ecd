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
from collections.abc import Iterator
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
from paperstand.papers.queries import PaperRef, find_paper_ref
from paperstand.ranking.service import refresh_paper

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


@contextmanager
def _write_turn(session: Session) -> Iterator[None]:
    """Hold this process's SQLite write turn for the rest of the vote's transaction (PostgreSQL: nothing)."""
    if not on_sqlite(session):
        yield
        return
    with _SQLITE_WRITER:
        try:
            yield
        finally:
            if session.in_transaction():  # an error before the commit: let the next vote have the lock
                session.rollback()


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


def _insert(session: Session, paper_id: int, member_id: int, now: datetime) -> None:
    name = dialect_name(session)
    if name not in _INSERTS:
        _INSERTS[name] = insert_or_ignore(session, Vote, keys=("paper_id", "member_id"))
    stmt = _INSERTS[name]
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
    activity = refresh_paper(session, paper_id=paper.id, now=now)
    local, hf = (activity.votes, activity.hf_upvotes) if activity is not None else _counts(session, paper.id)
    session.commit()
    return VoteState(paper, local, voted, hf)


def _counts(session: Session, paper_id: int) -> tuple[int, int | None]:
    """The paper's local upvotes and its imported Hugging Face count (``None`` if none), in one query."""
    row = session.connection().execute(_COUNTS, {"paper_id": paper_id}).one()
    return int(row[0]), row[1]
