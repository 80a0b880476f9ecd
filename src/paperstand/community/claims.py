"""Authorship claims: a member claims an author name on a paper, a moderator decides, verified authors set links.

Every write is safe to repeat and to race: one claim per member and paper (a unique key, inserted
or ignored), one decision per claim (an UPDATE guarded on ``status = 'pending'`` whose row count says
who decided), and one approved member per author position (a partial unique index, migration 0018).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperstand.accounts.errors import NotAllowed
from paperstand.accounts.models import Member
from paperstand.accounts.roles import allowed
from paperstand.community import claim_links
from paperstand.community.claim_mail import decision_mail
from paperstand.community.models import AuthorClaim
from paperstand.community.moderation_log import record
from paperstand.dialect import insert_or_ignore
from paperstand.errors import BadRequest, NotFound
from paperstand.mail.outbox import enqueue
from paperstand.papers.models import ExternalSignal, Paper

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
MAX_REASON = 2000
# The stored copy of the author's name (the column's size); names are far shorter in practice.
MAX_AUTHOR_NAME = 300


@dataclass(frozen=True)
class VerifiedAuthor:
    """An author position of a paper that a moderator confirmed as a member's name."""

    member_id: int
    name: str
    display_name: str
    author_index: int
    verified_at: datetime


@dataclass(frozen=True)
class Decision:
    """What ``decide`` did: ``changed`` is False when another moderator had decided the claim first."""

    claim: AuthorClaim
    changed: bool


def claim(session: Session, *, member: Member, paper_id: int, author_index: int, now: datetime) -> AuthorClaim:
    """Claim to be author number ``author_index`` (from 0) of a paper; a retry returns the same claim. Commits."""
    if not allowed(member, "claim"):
        raise NotAllowed("claims: this account cannot claim authorship",
                         hint="Verify your email address first; banned accounts cannot claim.")
    paper = session.get(Paper, paper_id)
    if paper is None:
        raise NotFound("claims: no such paper")
    authors = list(paper.authors or [])
    if not 0 <= author_index < len(authors):
        raise BadRequest(f"claims: this paper lists {len(authors)} author{'s' if len(authors) != 1 else ''}; "
                         "choose your name among them.", hint="Reload the paper page and pick your name.")
    name = authors[author_index][:MAX_AUTHOR_NAME]
    holder = approved_holder(session, paper_id=paper_id, author_index=author_index)
    if holder is not None and holder.id != member.id:
        raise BadRequest(f"claims: {name} is already a verified author of this paper (@{holder.name}).",
                         hint="If that is a mistake, write to the site's moderators.")
    session.execute(insert_or_ignore(session, AuthorClaim, keys=["paper_id", "member_id"]), [{
        "paper_id": paper_id, "member_id": member.id, "author_index": author_index, "author_name": name,
        "status": PENDING, "created_at": now}])
    # A pending claim for another position is corrected (the member picked the wrong name); a
    # decided one stays as the moderator left it. Guarded, so it cannot undo a decision made meanwhile.
    session.execute(update(AuthorClaim).where(
        AuthorClaim.paper_id == paper_id, AuthorClaim.member_id == member.id, AuthorClaim.status == PENDING,
        AuthorClaim.author_index != author_index).values(author_index=author_index, author_name=name))
    session.commit()
    return session.scalars(select(AuthorClaim).where(AuthorClaim.paper_id == paper_id,
                                                     AuthorClaim.member_id == member.id)).one()


def approved_holder(session: Session, *, paper_id: int, author_index: int) -> Member | None:
    """The member already verified as author ``author_index`` of a paper, if any."""
    return session.scalars(select(Member).join(AuthorClaim, AuthorClaim.member_id == Member.id).where(
        AuthorClaim.paper_id == paper_id, AuthorClaim.author_index == author_index,
        AuthorClaim.status == APPROVED)).first()


def decide(session: Session, *, moderator: Member, claim_id: int, approve: bool, reason: str, now: datetime,
           base_url: str, site_name: str) -> Decision:
    """Approve or reject a pending claim: logged publicly, the claimant mailed; only the first decision counts."""
    if not allowed(moderator, "moderate"):
        raise NotAllowed("claims: only moderators decide authorship claims")
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise BadRequest(f"claims: the reason is at most {MAX_REASON} characters.")
    if not approve and not reason:
        raise BadRequest("claims: say why the claim is rejected; the claimant reads it in their mail.")
    row = session.get(AuthorClaim, claim_id)
    if row is None:
        raise NotFound("claims: no such claim")
    if row.member_id == moderator.id:
        raise BadRequest("claims: a moderator cannot decide their own claim.", hint="Another moderator will.")
    if approve and row.status == PENDING:
        holder = approved_holder(session, paper_id=row.paper_id, author_index=row.author_index)
        # The holder may be this very claim, approved by another moderator since ``row`` was read: then
        # the guarded update below changes nothing and this decision is the same one, not a conflict.
        if holder is not None and holder.id != row.member_id:
            raise _taken(row, holder.name)
    status = APPROVED if approve else REJECTED
    guarded = update(AuthorClaim).where(AuthorClaim.id == claim_id, AuthorClaim.status == PENDING).values(
        status=status, decided_at=now, decided_by=moderator.id, reason=reason)
    try:
        changed = cast(CursorResult[Any], session.execute(guarded)).rowcount == 1
    except IntegrityError:
        # Another moderator approved someone else for this position a moment ago (the partial unique index).
        error = _taken(row, "another member")
        session.rollback()
        raise error from None
    if changed:
        record(session, moderator_id=moderator.id, action=f"{'approve' if approve else 'reject'}_claim",
               target_kind="claim", target_id=claim_id, target_member_id=row.member_id, reason=reason, now=now)
        _mail_claimant(session, row, approved=approve, reason=reason, now=now, base_url=base_url,
                       site_name=site_name)
    session.commit()
    session.refresh(row)
    return Decision(row, changed)


def _taken(row: AuthorClaim, holder: str) -> BadRequest:
    return BadRequest(f"claims: {row.author_name} is already verified as {holder} on this paper.",
                      hint="Reject this claim, or ask the two members which of them wrote it.")


def _mail_claimant(session: Session, row: AuthorClaim, *, approved: bool, reason: str, now: datetime,
                   base_url: str, site_name: str) -> None:
    """Queue the outcome for the claimant, in the deciding transaction (once per claim, whatever happens)."""
    member = session.get(Member, row.member_id)
    paper = session.get(Paper, row.paper_id)
    if member is None or paper is None:
        return
    subject, text = decision_mail(paper=paper, author_name=row.author_name, approved=approved, reason=reason,
                                  base_url=base_url, site_name=site_name)
    enqueue(session, kind="claim_decision", to=member.email, subject=subject, text=text, now=now,
            dedupe_key=f"claim-decision:{row.id}")


def verified_authors(session: Session, paper_ids: list[int]) -> dict[int, dict[int, VerifiedAuthor]]:
    """For each paper, its verified authors by position in its current author list (one query)."""
    if not paper_ids:
        return {}
    rows = session.execute(
        select(AuthorClaim.paper_id, AuthorClaim.author_index, AuthorClaim.author_name, AuthorClaim.decided_at,
               AuthorClaim.created_at, Member.id, Member.name, Member.display_name, Paper.authors)
        .join(Member, Member.id == AuthorClaim.member_id).join(Paper, Paper.id == AuthorClaim.paper_id)
        # A ban takes the badge away too: it is how moderators undo an approval obtained by deceit.
        .where(AuthorClaim.paper_id.in_(set(paper_ids)), AuthorClaim.status == APPROVED,
               Member.banned_at.is_(None))
        .order_by(AuthorClaim.decided_at, AuthorClaim.id))
    out: dict[int, dict[int, VerifiedAuthor]] = {}
    for paper_id, index, author_name, decided, created, mid, name, display, authors in rows:
        placed = out.get(paper_id, {})
        at = _position(list(authors or []), index, author_name, taken=placed)
        if at is not None:
            placed[at] = VerifiedAuthor(mid, name, display or name, at, decided or created)
            out[paper_id] = placed
    return out


def _position(authors: list[str], index: int, name: str, *, taken: dict[int, VerifiedAuthor]) -> int | None:
    """Where the claimed name is now: a new version of the paper may have reordered or dropped authors."""
    if index < len(authors) and authors[index][:MAX_AUTHOR_NAME] == name and index not in taken:
        return index
    for at, author in enumerate(authors):
        if author[:MAX_AUTHOR_NAME] == name and at not in taken:
            return at
    return None


def set_links(session: Session, *, member: Member, paper_id: int, github_repo: str, project_page: str,
              now: datetime) -> Paper:
    """A verified author sets (or clears) the paper's code repository and project page; imports keep them. Commits."""
    repo = claim_links.github_repo(github_repo)
    page = claim_links.project_page(project_page)
    paper = session.get(Paper, paper_id)
    if paper is None:
        raise NotFound("claims: no such paper")
    verified = verified_authors(session, [paper_id]).get(paper_id, {})
    if not allowed(member, "claim") or all(v.member_id != member.id for v in verified.values()):
        raise NotAllowed("claims: only a verified author of this paper can set its links",
                         hint="Claim your name on the paper page; a moderator checks each claim.")
    if repo != paper.github_repo:
        # The imported star count described the previous repository.
        session.execute(delete(ExternalSignal).where(ExternalSignal.paper_id == paper_id,
                                                     ExternalSignal.name == "github_stars"))
    session.execute(update(Paper).where(Paper.id == paper_id).values(
        github_repo=repo, project_page=page, links_set_by_author=True, last_changed_at=now))
    session.commit()
    session.refresh(paper)
    return paper
