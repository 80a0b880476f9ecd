"""What /u/{name} shows: a member's submissions, claimed papers, upvotes (if they share them) and comments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.accounts.names import name_key
from paperstand.community.models import AuthorClaim, Comment, Vote
from paperstand.errors import NotFound
from paperstand.papers.models import DailyPick, Paper
from paperstand.papers.queries import PaperCard, cards_for

# Each list shows this many, newest first, and says how many there are in all.
SHOWN = 20
# A comment on the profile is its opening, in plain text; the whole one is on the paper's page.
EXCERPT = 280


T = TypeVar("T")


@dataclass
class Shown(Generic[T]):
    """The newest items of a list and how many the list holds."""

    items: list[T] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class CommentLine:
    """One comment as a profile lists it: where, when, and its opening words."""

    paper: Paper
    created_at: datetime
    excerpt: str


@dataclass
class Profile:
    """A member's public page."""

    member: Member
    submitted: Shown[PaperCard]
    claimed: Shown[PaperCard]
    upvoted: Shown[PaperCard] | None  # None: the member keeps their upvotes private
    comments: Shown[CommentLine]


def _count(session: Session, stmt: Select[Any, Any] | Select[Any]) -> int:
    return int(session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one())


def _papers(session: Session, stmt: Select[Any]) -> Shown[PaperCard]:
    papers = list(session.execute(stmt.limit(SHOWN)).scalars())
    return Shown(cards_for(session, papers), _count(session, stmt))


def submitted(session: Session, member_id: int) -> Shown[PaperCard]:
    """Papers the member submitted that are still shown (moderators may hide one)."""
    stmt = (select(Paper, DailyPick).join(DailyPick, DailyPick.paper_id == Paper.id)
            .where(DailyPick.member_id == member_id, DailyPick.hidden_at.is_(None))
            .order_by(DailyPick.day.desc(), DailyPick.submitted_at.desc(), DailyPick.id.desc()))
    rows = session.execute(stmt.limit(SHOWN)).all()
    cards = cards_for(session, [paper for paper, _ in rows])
    for card, (_, pick) in zip(cards, rows, strict=True):
        card.pick = pick
    return Shown(cards, _count(session, stmt))


def claimed(session: Session, member_id: int) -> Shown[PaperCard]:
    """Papers the member is an approved author of."""
    return _papers(session, select(Paper).join(AuthorClaim, AuthorClaim.paper_id == Paper.id)
                   .where(AuthorClaim.member_id == member_id, AuthorClaim.status == "approved")
                   .order_by(AuthorClaim.decided_at.desc(), AuthorClaim.id.desc()))


def upvoted(session: Session, member_id: int) -> Shown[PaperCard]:
    """Papers the member upvoted, most recent vote first."""
    return _papers(session, select(Paper).join(Vote, Vote.paper_id == Paper.id).where(Vote.member_id == member_id)
                   .order_by(Vote.created_at.desc(), Vote.id.desc()))


def comments(session: Session, member_id: int) -> Shown[CommentLine]:
    """The member's comments that are neither deleted nor hidden, newest first."""
    stmt = (select(Comment, Paper).join(Paper, Paper.id == Comment.paper_id)
            .where(Comment.member_id == member_id, Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))
            .order_by(Comment.created_at.desc(), Comment.id.desc()))
    lines = [CommentLine(paper, comment.created_at, _excerpt(comment.body))
             for comment, paper in session.execute(stmt.limit(SHOWN)).all()]
    return Shown(lines, _count(session, stmt))


def _excerpt(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT].rsplit(" ", 1)[0] + " …"


def profile(session: Session, *, name: str) -> Profile:
    """The public page of the member called ``name`` (any case), or ``NotFound``."""
    member = session.execute(select(Member).where(Member.name_key == name_key(name[:100]))).scalar_one_or_none()
    if member is None:
        raise NotFound(f"there is no member called {name[:40]!r}", hint="Check the spelling of the user name.")
    return Profile(member, submitted(session, member.id), claimed(session, member.id),
                   upvoted(session, member.id) if member.show_upvotes else None, comments(session, member.id))
