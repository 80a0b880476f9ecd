"""Watching a paper: watch and unwatch, and recording what happens to watched papers as events and alerts.

Events are found by a scan (:func:`scan`, the worker's ``watch`` job), not by hooks where papers change:
imports write papers in bulk through Core batches (a per-paper hook would slow every import for the few
papers anyone watches), an author's links and comments have their own code paths, and a scan over the
watched papers alone sees every one of those changes, however it was made, at the cost of one small query
set a run. Each event has a unique dedupe key, each alert a unique (member, event): a scan run twice, or
two at once, records and alerts each event once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.community.models import Comment
from paperstand.dialect import insert_or_ignore
from paperstand.errors import NotFound
from paperstand.follows.models import Watch, WatchAlert, WatchEvent
from paperstand.papers.models import Paper
from paperstand.papers.queries import find_paper

# Comments a scan looks back over: far more than the time between two runs, so a stopped worker catches up.
COMMENT_LOOKBACK = timedelta(days=7)
# The most papers one member watches (the scan's work grows with the number of watched papers).
MAX_WATCHES = 1000


@dataclass(frozen=True)
class PaperState:
    """What a scan reads of a watched paper (not the whole row)."""

    id: int
    public_id: str
    latest_version: int | None
    github_repo: str | None


@dataclass(frozen=True)
class Found:
    """An event as a scan sees it, before it is stored."""

    paper_id: int
    kind: str
    key: str
    detail: str
    at: datetime
    actor_id: int | None = None


def _paper(session: Session, public_id: str) -> Paper:
    paper = find_paper(session, public_id)
    if paper is None:
        raise NotFound(f"watch: no paper with id {public_id!r} is stored here")
    return paper


def watch(session: Session, *, member_id: int, paper_id: str, now: datetime) -> Paper:
    """Watch a paper (again: nothing changes). Its present state is recorded first, so only later news alerts."""
    paper = _paper(session, paper_id)
    record(session, current_state(paper, now), now=now)
    session.execute(insert_or_ignore(session, Watch, keys=["member_id", "paper_id"]),
                    [{"member_id": member_id, "paper_id": paper.id, "created_at": now}])
    session.commit()
    return paper


def unwatch(session: Session, *, member_id: int, paper_id: str) -> Paper:
    """Stop watching a paper; alerts already owed stay owed. Commits."""
    paper = _paper(session, paper_id)
    session.execute(delete(Watch).where(Watch.member_id == member_id, Watch.paper_id == paper.id))
    session.commit()
    return paper


def is_watching(session: Session, *, member_id: int | None, paper_id: int) -> bool:
    """Whether the member watches the paper (nobody watches as an anonymous visitor)."""
    return member_id is not None and session.scalar(
        select(Watch.id).where(Watch.member_id == member_id, Watch.paper_id == paper_id)) is not None


def watched(session: Session, *, member_id: int) -> list[Paper]:
    """The papers the member watches, most recently watched first."""
    return list(session.scalars(select(Paper).join(Watch, Watch.paper_id == Paper.id)
                                .where(Watch.member_id == member_id).order_by(Watch.created_at.desc(), Paper.id)))


def current_state(paper: Paper | PaperState, now: datetime) -> list[Found]:
    """The events a paper's stored row stands for: its newest version and its code repository."""
    found = []
    if paper.latest_version:
        found.append(Found(paper.id, "version", f"version:{paper.public_id}v{paper.latest_version}",
                           f"version {paper.latest_version}", now))
    if paper.github_repo:
        found.append(Found(paper.id, "code", f"code:{paper.id}:{paper.github_repo}"[:700], paper.github_repo, now))
    return found


def record(session: Session, events: list[Found], *, now: datetime) -> int:
    """Store new events and owe each to the paper's earlier watchers (not its actor); how many were new."""
    new = 0
    # Most of a scan's events are stored already: one read leaves only the new ones to insert.
    keys = [ev.key for ev in events]
    known = {k for start in range(0, len(keys), 500)
             for k in session.scalars(select(WatchEvent.dedupe_key).where(WatchEvent.dedupe_key.in_(
                 keys[start:start + 500])))}
    for ev in (ev for ev in events if ev.key not in known):
        # RETURNING says whether this call stored the event (None: it was there already), on both databases.
        event_id = session.execute(insert_or_ignore(session, WatchEvent, keys=["dedupe_key"]).returning(
            WatchEvent.id), [{"paper_id": ev.paper_id, "kind": ev.kind, "dedupe_key": ev.key,
                              "detail": ev.detail[:2000], "actor_id": ev.actor_id, "created_at": ev.at}]).scalar()
        if event_id is None:
            continue
        new += 1
        watchers = session.scalars(select(Watch.member_id).where(Watch.paper_id == ev.paper_id,
                                                                 Watch.created_at < ev.at))
        rows = [{"member_id": m, "event_id": event_id, "created_at": now} for m in watchers if m != ev.actor_id]
        if rows:
            session.execute(insert_or_ignore(session, WatchAlert, keys=["member_id", "event_id"]), rows)
    return new


def _comments(session: Session, paper_ids: list[int], now: datetime) -> list[Found]:
    rows = session.execute(select(Comment.id, Comment.paper_id, Comment.member_id, Comment.parent_id,
                                  Comment.created_at, Member.name).join(Member, Member.id == Comment.member_id)
                           .where(Comment.paper_id.in_(paper_ids), Comment.created_at >= now - COMMENT_LOOKBACK,
                                  Comment.deleted_at.is_(None), Comment.hidden_at.is_(None)))
    return [Found(pid, "comment", f"comment:{cid}", f"{'a reply' if parent else 'a comment'} by @{name}",
                  at, mid) for cid, pid, mid, parent, at, name in rows]


def scan(session: Session, *, now: datetime) -> int:
    """Record what happened to every watched paper since the last scan; commits; how many events were new."""
    ids = sorted(set(session.scalars(select(Watch.paper_id).distinct())))
    new = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        papers = [PaperState(pid, arxiv_id or local_key or str(pid), latest, repo) for pid, arxiv_id, local_key,
                  latest, repo in session.execute(select(Paper.id, Paper.arxiv_id, Paper.local_key,
                                                         Paper.latest_version, Paper.github_repo)
                                                  .where(Paper.id.in_(chunk)))]
        found = [ev for p in papers for ev in current_state(p, now)] + _comments(session, chunk, now)
        new += record(session, found, now=now)
        session.commit()
    return new
