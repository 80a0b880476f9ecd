"""What a member changes in /settings: profile and choices, password, email address (re-verified by mail)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperstand.accounts import tokens
from paperstand.accounts.digest_link import link_subscription
from paperstand.accounts.emails import MailSite, queue_email_change, queue_email_changed
from paperstand.accounts.errors import InvalidForm, InvalidLink, TooManyAttempts
from paperstand.accounts.models import Member
from paperstand.accounts.passwords import WeakPassword, check_password, hash_password, verify_password
from paperstand.accounts.sessions import close_all_sessions, open_session
from paperstand.accounts.throttle import Attempts, account_key
from paperstand.errors import NotFound
from paperstand.mail.headers import header_text
from paperstand.subscriptions.service import InvalidEmail, normalize_email

MAX_DISPLAY_NAME = 100


def _member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id, populate_existing=True)
    if member is None:
        raise NotFound("no such member")
    return member


def update_profile(session: Session, *, member_id: int, display_name: str, show_upvotes: bool,
                   notify_mentions: bool) -> Member:
    """Store the display name and the two choices. Commits."""
    shown = " ".join(header_text(display_name).split())  # one line: it goes into pages and mail greetings
    if len(shown) > MAX_DISPLAY_NAME:
        raise InvalidForm({"display_name": f"display name: use at most {MAX_DISPLAY_NAME} characters"})
    member = _member(session, member_id)
    member.display_name, member.show_upvotes, member.notify_mentions = shown, show_upvotes, notify_mentions
    session.commit()
    return member


def _check_current(member: Member, password: str, throttle: Attempts | None, field: str = "current") -> None:
    """The current password, as a login checks it (and counted like one: a stolen session must not guess)."""
    keys = [account_key(f"member:{member.id}")]
    if throttle is not None and (wait := throttle.retry_after(keys)) is not None:
        raise TooManyAttempts(wait)
    if not verify_password(member.password_hash, password):
        if throttle is not None:
            throttle.failed(keys)
        raise InvalidForm({field: "current password: this is not your password"})


def change_password(session: Session, *, member_id: int, current: str, new: str, now: datetime,
                    throttle: Attempts | None = None) -> str:
    """Set a new password: every login ends, and the new session returned keeps this browser in. Commits."""
    member = _member(session, member_id)
    _check_current(member, current, throttle)
    try:
        new = check_password(new, name=member.name, email=member.email)
    except WeakPassword as exc:
        raise InvalidForm({"new": exc.message}) from None
    member.password_hash, member.password_changed_at = hash_password(new), now
    tokens.void(session, member_id=member.id, purpose="reset", now=now)
    close_all_sessions(session, member_id=member.id)
    secret = open_session(session, member_id=member.id, now=now)
    session.commit()
    return secret


def request_email_change(session: Session, *, member_id: int, password: str, new_email: str, site: MailSite,
                         now: datetime, throttle: Attempts | None = None) -> str:
    """Mail a confirmation link to the new address; returns it as shown. Commits.

    The account keeps its address until the link is followed. An address another account has gets the same
    answer and no mail, so this form cannot be used to find out who has an account.
    """
    member = _member(session, member_id)
    _check_current(member, password, throttle, field="password")
    try:
        address = normalize_email(new_email)
    except InvalidEmail as exc:
        raise InvalidForm({"email": exc.message}) from None
    if address == member.email:
        raise InvalidForm({"email": "email: this is already your address"})
    taken = session.execute(select(Member.id).where(Member.email == address)).first()
    if taken is None:
        token_id, secret = tokens.issue(session, member_id=member.id, purpose="email", now=now, address=address)
        queue_email_change(session, site=site, to=address, name=member.name, token_id=token_id, secret=secret,
                           now=now)
        session.commit()
    return address


def confirm_email_change(session: Session, *, secret: str, site: MailSite, now: datetime) -> Member:
    """Spend an address-change link: the account moves (verified) and the old address is told. Commits."""
    token = tokens.spend(session, secret=secret, purpose="email", now=now)
    member = _member(session, token.member_id)
    old, new = member.email, token.new_email or ""
    try:
        with session.begin_nested():
            session.execute(update(Member).where(Member.id == member.id)
                            .values(email=new, email_verified_at=now).execution_options(synchronize_session=False))
    except IntegrityError:
        session.rollback()
        raise InvalidLink("this address now belongs to another account",
                          hint="Ask for the change again with another address.") from None
    tokens.void(session, member_id=member.id, purpose="reset", now=now)  # reset links went to the old address
    link_subscription(session, member_id=member.id, email=new)
    queue_email_changed(session, site=site, to=old, name=member.name, new_email=new, token_id=token.id, now=now)
    session.commit()
    session.refresh(member)
    return member
