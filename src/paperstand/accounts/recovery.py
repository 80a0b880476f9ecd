"""A forgotten password: a reset link by mail (the same answer for every address), and the new password."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from paperstand.accounts import tokens
from paperstand.accounts.digest_link import link_subscription
from paperstand.accounts.emails import MailSite, queue_reset
from paperstand.accounts.errors import InvalidForm
from paperstand.accounts.models import Member
from paperstand.accounts.passwords import WeakPassword, check_password, hash_password
from paperstand.accounts.sessions import close_all_sessions, open_session
from paperstand.subscriptions.service import InvalidEmail, normalize_email


def request_reset(session: Session, *, email: str, site: MailSite, now: datetime) -> str:
    """Queue a reset link if ``email`` has an account; returns the address as shown, known or not. Commits.

    At most one mail per member per window (``emails.NOTICE_WINDOW``) however often the form is sent.
    """
    try:
        address = normalize_email(email)
    except InvalidEmail as exc:
        raise InvalidForm({"email": exc.message}) from None
    member = session.execute(select(Member).where(Member.email == address)).scalar_one_or_none()
    if member is not None:
        _, secret = tokens.issue(session, member_id=member.id, purpose="reset", now=now, address=address)
        queue_reset(session, site=site, to=address, name=member.name, member_id=member.id, secret=secret, now=now)
        session.commit()
    return address


def reset_member(session: Session, *, secret: str, now: datetime) -> Member:
    """The member a live reset link is for, without spending it (the form page shows their name)."""
    token = tokens.peek(session, secret=secret, purpose="reset", now=now)
    member = session.get(Member, token.member_id)
    assert member is not None  # the foreign key guarantees it
    return member


def reset_password(session: Session, *, secret: str, password: str, now: datetime) -> tuple[Member, str]:
    """Spend a reset link and set the new password: every other login ends; returns the member and a new session.

    A refused password leaves the link unspent, to try again. Following the link proves the mailbox, so an
    unverified address becomes verified. Commits.
    """
    member = reset_member(session, secret=secret, now=now)
    try:
        password = check_password(password, name=member.name, email=member.email)
    except WeakPassword as exc:
        raise InvalidForm({"password": exc.message}) from None
    hashed = hash_password(password)
    token = tokens.spend(session, secret=secret, purpose="reset", now=now)
    if token.new_email != member.email:  # sent to an address the account has left since
        session.rollback()
        raise tokens.InvalidLink("this link was sent to an address this account no longer uses",
                                 hint=tokens.AGAIN["reset"])
    tokens.void(session, member_id=member.id, purpose="reset", now=now)
    session.execute(update(Member).where(Member.id == member.id)
                    .values(password_hash=hashed, password_changed_at=now).execution_options(synchronize_session=False))
    if member.email_verified_at is None:
        session.execute(update(Member).where(Member.id == member.id, Member.email_verified_at.is_(None))
                        .values(email_verified_at=now).execution_options(synchronize_session=False))
        link_subscription(session, member_id=member.id, email=member.email)
    close_all_sessions(session, member_id=member.id)
    fresh = open_session(session, member_id=member.id, now=now)
    session.commit()
    session.refresh(member)
    return member, fresh
