"""A member and the digest subscription of their address: linked once the address is verified as theirs."""

from __future__ import annotations

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.subscriptions.models import Subscriber


def link_subscription(session: Session, *, member_id: int, email: str) -> None:
    """Link the subscription of ``email`` (if any) to the member, and unlink one of an address they left.

    Call it only with an address the member has just proven (verification, address change); the caller commits.
    """
    session.execute(update(Subscriber).where(Subscriber.member_id == member_id, Subscriber.email != email)
                    .values(member_id=None).execution_options(synchronize_session=False))
    session.execute(update(Subscriber).where(Subscriber.email == email)
                    .values(member_id=member_id).execution_options(synchronize_session=False))


def member_subscription(session: Session, *, member: Member) -> Subscriber | None:
    """The subscription linked to a member, or else the one of their verified address (made after verifying)."""
    mine = Subscriber.member_id == member.id
    if member.email_verified_at is not None:
        mine = or_(mine, and_(Subscriber.member_id.is_(None), Subscriber.email == member.email))
    return session.execute(select(Subscriber).where(mine).order_by(Subscriber.member_id.is_(None), Subscriber.id)
                           .limit(1)).scalar_one_or_none()
