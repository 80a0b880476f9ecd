"""Read side of authorship claims: the paper page's author list and claim form, and the moderators' queue."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.accounts.roles import allowed
from paperstand.community.claims import APPROVED, PENDING, VerifiedAuthor, verified_authors
from paperstand.community.models import AuthorClaim
from paperstand.papers.models import Paper

# How many pending claims the queue shows at once (oldest first), and how many of each claimant's
# other claims it lists beside one.
QUEUE_PAGE = 100
OTHER_CLAIMS_SHOWN = 5


@dataclass(frozen=True)
class AuthorLine:
    """One author of a paper, in order, and the member verified as that author, if any."""

    index: int
    name: str
    verified: VerifiedAuthor | None


@dataclass(frozen=True)
class Authorship:
    """What the paper page shows about its authors for one visitor (``mine``: the visitor's own claim)."""

    authors: list[AuthorLine]
    mine: AuthorClaim | None = None
    can_claim: bool = False

    @property
    def claimable(self) -> list[AuthorLine]:
        """The positions no member is verified as yet."""
        return [line for line in self.authors if line.verified is None]

    @property
    def is_verified_author(self) -> bool:
        """Whether the visitor is a verified author of this paper (and may set its links)."""
        return self.mine is not None and any(
            line.verified is not None and line.verified.member_id == self.mine.member_id for line in self.authors)


def authorship(session: Session, *, paper: Paper, member: Member | None) -> Authorship:
    """The author list with verified badges, plus the visitor's claim when someone is logged in."""
    verified = verified_authors(session, [paper.id]).get(paper.id, {})
    lines = [AuthorLine(i, name, verified.get(i)) for i, name in enumerate(paper.authors or [])]
    if member is None:
        return Authorship(lines)
    mine = session.scalars(select(AuthorClaim).where(AuthorClaim.paper_id == paper.id,
                                                     AuthorClaim.member_id == member.id)).first()
    return Authorship(lines, mine, allowed(member, "claim"))


@dataclass
class ClaimantHistory:
    """A claimant's other claims: counts by status and the most recent few, with their papers."""

    counts: dict[str, int] = field(default_factory=dict)
    recent: list[tuple[AuthorClaim, Paper]] = field(default_factory=list)


@dataclass(frozen=True)
class QueueItem:
    """One pending claim with what a moderator needs to decide it."""

    claim: AuthorClaim
    paper: Paper
    claimant: Member
    # The member already verified as this author, when there is one (approving would be refused).
    taken_by: str | None
    history: ClaimantHistory


@dataclass(frozen=True)
class ClaimQueue:
    """The oldest pending claims and how many are pending in all."""

    items: list[QueueItem]
    total: int


def pending_queue(session: Session, *, limit: int = QUEUE_PAGE) -> ClaimQueue:
    """The moderators' queue: pending claims, oldest first, each with its paper, claimant and their history."""
    rows = session.execute(
        select(AuthorClaim, Paper, Member).join(Paper, Paper.id == AuthorClaim.paper_id)
        .join(Member, Member.id == AuthorClaim.member_id).where(AuthorClaim.status == PENDING)
        .order_by(AuthorClaim.created_at, AuthorClaim.id).limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(AuthorClaim).where(AuthorClaim.status == PENDING))
    taken = _holders(session, {c.paper_id for c, _, _ in rows})
    history = _histories(session, {c.member_id for c, _, _ in rows})
    items = [QueueItem(c, p, m, taken.get((c.paper_id, c.author_index)),
                       _without(history.get(m.id, ClaimantHistory()), c.id)) for c, p, m in rows]
    return ClaimQueue(items, int(total or 0))


def _holders(session: Session, paper_ids: set[int]) -> dict[tuple[int, int], str]:
    """Who is verified as each (paper, author position) among these papers."""
    if not paper_ids:
        return {}
    rows = session.execute(select(AuthorClaim.paper_id, AuthorClaim.author_index, Member.name)
                           .join(Member, Member.id == AuthorClaim.member_id)
                           .where(AuthorClaim.paper_id.in_(paper_ids), AuthorClaim.status == APPROVED))
    return {(pid, index): name for pid, index, name in rows}


def _histories(session: Session, member_ids: set[int]) -> dict[int, ClaimantHistory]:
    """Each claimant's claims by status, and their most recent ones (a window keeps a few per member)."""
    out: dict[int, ClaimantHistory] = {mid: ClaimantHistory() for mid in member_ids}
    if not member_ids:
        return out
    for mid, status, count in session.execute(
            select(AuthorClaim.member_id, AuthorClaim.status, func.count())
            .where(AuthorClaim.member_id.in_(member_ids)).group_by(AuthorClaim.member_id, AuthorClaim.status)):
        out[mid].counts[status] = int(count)
    rank = func.row_number().over(partition_by=AuthorClaim.member_id,
                                  order_by=(AuthorClaim.created_at.desc(), AuthorClaim.id.desc())).label("rank")
    ranked = select(AuthorClaim.id, rank).where(AuthorClaim.member_id.in_(member_ids)).subquery()
    # One more than shown: the claim being decided is among them and is left out of its own history.
    recent = session.execute(
        select(AuthorClaim, Paper).join(ranked, ranked.c.id == AuthorClaim.id)
        .join(Paper, Paper.id == AuthorClaim.paper_id).where(ranked.c.rank <= OTHER_CLAIMS_SHOWN + 1)
        .order_by(AuthorClaim.created_at.desc(), AuthorClaim.id.desc()))
    for claim_row, paper in recent:
        out[claim_row.member_id].recent.append((claim_row, paper))
    return out


def _without(history: ClaimantHistory, claim_id: int) -> ClaimantHistory:
    """The history without the (pending) claim on screen, in both the counts and the list."""
    counts = dict(history.counts)
    counts[PENDING] = counts.get(PENDING, 1) - 1
    recent = [(c, p) for c, p in history.recent if c.id != claim_id]
    return ClaimantHistory({k: v for k, v in counts.items() if v > 0}, recent[:OTHER_CLAIMS_SHOWN])
