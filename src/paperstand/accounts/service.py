"""Joining, verifying an address, logging in and out: each answer the same for known and unknown addresses.

RELIABILITY 11: nothing a visitor sees (page, status, cookie, time taken) says whether an address has an
account. Joining with a registered address shows the usual "check your inbox" and mails the owner instead;
a login with an unknown name or address still runs one argon2 verification, so it takes as long as a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperstand.accounts import tokens
from paperstand.accounts.digest_link import link_subscription
from paperstand.accounts.emails import MailSite, queue_exists, queue_verify, window
from paperstand.accounts.errors import InvalidForm, InvalidLink, NotAllowed, TooManyAttempts
from paperstand.accounts.models import Member
from paperstand.accounts.names import InvalidName, check_name, name_key
from paperstand.accounts.passwords import (
    WeakPassword,
    check_password,
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from paperstand.accounts.sessions import close_session, open_session
from paperstand.accounts.throttle import Attempts, account_key, address_key
from paperstand.errors import DomainError
from paperstand.subscriptions.service import InvalidEmail, normalize_email

MAX_LOGIN = 320


class LoginFailed(DomainError):
    """Wrong name, address or password: one message for all three, so it tells nobody which."""

    status = 400
    title = "Log in"


def check_join_form(email: str, name: str, password: str) -> tuple[str, str, str]:
    """The join form's values, checked: (address, name, password), or ``InvalidForm`` naming every problem."""
    errors: dict[str, str] = {}
    address = shown = ""
    try:
        address = normalize_email(email)
    except InvalidEmail as exc:
        errors["email"] = exc.message
    try:
        shown = check_name(name)
    except InvalidName as exc:
        errors["name"] = exc.message
    try:
        password = check_password(password, name=name.strip(), email=address)
    except WeakPassword as exc:
        errors["password"] = exc.message
    if errors:
        raise InvalidForm(errors)
    return address, shown, password


def join(session: Session, *, email: str, name: str, password: str, site: MailSite, now: datetime) -> str:
    """Create an unverified member and queue the verification mail; returns the address, as shown to the visitor.

    An address that has an account gets a "someone tried to join" mail and the visitor the same answer.
    A taken user name is said plainly: names are public (/u/{name}). Commits.
    """
    address, shown, password = check_join_form(email, name, password)
    # Hashed before anything is looked up, so a registered address costs the same time as a new one.
    hashed = hash_password(password)
    # The name first, whatever the address: else a taken name would be refused for new addresses only,
    # and the answer would tell which addresses have accounts.
    _name_free(session, shown)
    owner = _by_email(session, address)
    if owner is None:
        member = Member(name=shown, name_key=name_key(shown), email=address, display_name="", password_hash=hashed,
                        role="member", created_at=now, show_upvotes=False, notify_mentions=True)
        try:
            with session.begin_nested():
                session.add(member)
        except IntegrityError:  # a concurrent join took the address or the name a moment ago
            owner = _by_email(session, address)
            if owner is None:
                _name_free(session, shown)
                raise
        else:
            token_id, secret = tokens.issue(session, member_id=member.id, purpose="verify", now=now, address=address)
            queue_verify(session, site=site, to=address, name=shown, token_id=token_id, secret=secret, now=now)
    if owner is not None:
        queue_exists(session, site=site, to=owner.email, name=owner.name, member_id=owner.id, now=now)
    session.commit()
    return address


def _by_email(session: Session, email: str) -> Member | None:
    return session.execute(select(Member).where(Member.email == email)).scalar_one_or_none()


def _name_free(session: Session, name: str) -> None:
    taken = session.execute(select(Member.id).where(Member.name_key == name_key(name))).first()
    if taken is not None:
        raise InvalidForm({"name": f"user name: {name!r} is taken, please choose another"})


def verify_email(session: Session, *, secret: str, now: datetime) -> Member:
    """Spend a verification link: the address it was sent to is verified, and its digest linked. Commits."""
    token = tokens.spend(session, secret=secret, purpose="verify", now=now)
    member = session.get(Member, token.member_id, populate_existing=True)
    assert member is not None  # the foreign key guarantees it
    if token.new_email != member.email:  # the member moved to another address since this link was sent
        session.rollback()
        raise InvalidLink("this link was sent to an address this account no longer uses",
                                 hint=tokens.AGAIN["verify"])
    session.execute(update(Member).where(Member.id == member.id, Member.email_verified_at.is_(None))
                    .values(email_verified_at=now).execution_options(synchronize_session=False))
    link_subscription(session, member_id=member.id, email=member.email)
    session.commit()
    session.refresh(member)
    return member


def resend_verification(session: Session, *, member_id: int, site: MailSite, now: datetime) -> bool:
    """Queue a new verification mail, at most one per window however often it is asked; False when verified."""
    member = session.get(Member, member_id)
    if member is None or member.email_verified_at is not None:
        return False
    token_id, secret = tokens.issue(session, member_id=member.id, purpose="verify", now=now, address=member.email)
    queue_verify(session, site=site, to=member.email, name=member.name, token_id=token_id, secret=secret, now=now,
                 dedupe_key=f"verify-again:{member.id}:{window(now)}")
    session.commit()
    return True


def find_member(session: Session, login: str) -> Member | None:
    """The member a login field names: an address (with "@") or a user name, in any case."""
    text = login.strip().lower()
    if not text or len(text) > MAX_LOGIN:
        return None
    column = Member.email if "@" in text else Member.name_key
    return session.execute(select(Member).where(column == text)).scalar_one_or_none()


@dataclass(frozen=True)
class Login:
    """A successful login: the member and the new session cookie's secret."""

    member: Member
    secret: str


def login(session: Session, *, login: str, password: str, client: str, throttle: Attempts, now: datetime,
          old_secret: str = "") -> Login:
    """Check the password and open a new session (ending the one ``old_secret`` names: rotation). Commits.

    Refused with ``TooManyAttempts`` once the account or the client address has too many recent failures,
    whatever the password; a wrong password counts against both.
    """
    member = find_member(session, login)
    # Per member when there is one, so "ada" and "ada@example.org" share a count; else per text typed.
    keys = [account_key(f"member:{member.id}" if member else f"login:{login.strip().lower()}"), address_key(client)]
    wait = throttle.retry_after(keys)
    if wait is not None:
        raise TooManyAttempts(wait)
    if member is None:
        dummy_verify()
    if member is None or not verify_password(member.password_hash, password):
        throttle.failed(keys)
        raise LoginFailed("the user name, email address or password is wrong",
                          hint="Passwords are case-sensitive. Forgot yours? Reset it by email.")
    if member.banned_at is not None:  # only said to whoever knows the password
        raise NotAllowed("this account is banned", hint=member.ban_reason or None)
    if needs_rehash(member.password_hash):
        member.password_hash = hash_password(password)  # older, weaker parameters: redone now that we can
    if old_secret:
        close_session(session, secret=old_secret)
    secret = open_session(session, member_id=member.id, now=now)
    session.commit()
    return Login(member, secret)


def logout(session: Session, *, secret: str) -> None:
    """End the session ``secret`` names (nothing happens when there is none). Commits."""
    if secret:
        close_session(session, secret=secret)
        session.commit()
