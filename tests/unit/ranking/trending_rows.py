"""Rows for trending tests, stored directly (the community features that write them have tests of their own)."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.community.models import AuthorClaim, Comment, Vote
from paperstand.papers.models import DailyPick, ExternalSignal, Paper

NOW = datetime(2026, 12, 1, 12, 0, 0, 250_000, tzinfo=UTC)  # a fraction of a second: times floor to seconds


def paper(session: Session, title: str, *, published: datetime | None, first_seen: datetime | None = None,
          arxiv_id: str | None = None, stars: int | None = None, day: date | None = None,
          submitter: int | None = None, upvotes: int | None = None) -> int:
    """Store a paper (and its stars, pick, HF upvotes when given); its id."""
    seen = first_seen or NOW - timedelta(days=400)
    row = Paper(title=title, title_key=hashlib.md5(title.encode()).hexdigest(), abstract=f"About {title}.",
                authors=["A. Author", "B. Author"], categories=["cs.LG"], primary_category="cs.LG",
                arxiv_id=arxiv_id, published_at=published, published_precision="day" if published else None,
                versions=[], sources=["test"], first_seen_at=seen, last_changed_at=seen)
    session.add(row)
    session.flush()
    if stars is not None:
        session.add(ExternalSignal(paper_id=row.id, name="github_stars", value=stars, observed_at=NOW))
    if upvotes is not None:
        session.add(ExternalSignal(paper_id=row.id, name="hf_upvotes", value=upvotes, observed_at=NOW))
    if day is not None or submitter is not None:
        session.add(DailyPick(day=day or NOW.date(), paper_id=row.id, position=row.id, source="test",
                              member_id=submitter, submitted_at=NOW if submitter else None))
    session.flush()
    return row.id


def member(session: Session, name: str, *, joined: datetime, banned: bool = False) -> int:
    """Store a member who joined at ``joined``; its id."""
    row = Member(name=name, name_key=name.lower(), email=f"{name.lower()}@example.org", display_name=name,
                 password_hash="!", role="member", created_at=joined, email_verified_at=joined,
                 banned_at=joined if banned else None, show_upvotes=False, notify_mentions=True)
    session.add(row)
    session.flush()
    return row.id


def vote(session: Session, paper_id: int, member_id: int, at: datetime) -> None:
    """Store a vote."""
    session.add(Vote(paper_id=paper_id, member_id=member_id, created_at=at))
    session.flush()


def comment(session: Session, paper_id: int, member_id: int, at: datetime, *, deleted: bool = False,
            hidden: bool = False) -> None:
    """Store a comment (deleted or hidden when asked)."""
    session.add(Comment(paper_id=paper_id, member_id=member_id, body="Nice.", html="<p>Nice.</p>", created_at=at,
                        deleted_at=at if deleted else None, hidden_at=at if hidden else None))
    session.flush()


def claim(session: Session, paper_id: int, member_id: int, status: str) -> None:
    """Store an authorship claim with ``status``, on the paper's next author position (one approval each)."""
    position = session.scalar(select(func.count()).select_from(AuthorClaim).where(AuthorClaim.paper_id == paper_id))
    session.add(AuthorClaim(paper_id=paper_id, member_id=member_id, author_index=position or 0,
                            author_name=f"Author {position}", status=status, created_at=NOW))
    session.flush()


def random_community(session: Session, *, seed: int, papers: int = 40, members: int = 25) -> list[int]:
    """A random mix of everything that moves a score (in and out of the window, excluded, young, hidden)."""
    rng = random.Random(seed)
    second = timedelta(seconds=1)
    people = [member(session, f"m{seed}x{i}", joined=NOW - rng.randint(0, 30 * 86400) * second
                     - rng.randint(0, 999_999) * timedelta(microseconds=1), banned=rng.random() < 0.1)
              for i in range(members)]
    ids = []
    for i in range(papers):
        published = NOW - rng.randint(-3600, 20 * 86400) * second - rng.randint(0, 999_999) * timedelta(microseconds=1)
        ids.append(paper(session, f"Paper {seed}-{i}", published=published if rng.random() < 0.9 else None,
                         arxiv_id=f"2611.{seed % 100:02d}{i:03d}",
                         first_seen=NOW - rng.randint(0, 30 * 86400) * second,
                         stars=rng.choice([None, 0, 3, 250, 12_000]),
                         submitter=rng.choice(people) if rng.random() < 0.5 else None))
    for pid in ids:
        for voter in rng.sample(people, rng.randint(0, len(people))):
            vote(session, pid, voter, NOW - rng.randint(-600, 9 * 86400) * second
                 - rng.randint(0, 999_999) * timedelta(microseconds=1))
        for _ in range(rng.randint(0, 4)):
            comment(session, pid, rng.choice(people), NOW - rng.randint(-600, 9 * 86400) * second,
                    deleted=rng.random() < 0.15, hidden=rng.random() < 0.15)
        for author in rng.sample(people, rng.randint(0, 2)):
            claim(session, pid, author, rng.choice(["approved", "pending", "rejected"]))
    session.commit()
    return ids
