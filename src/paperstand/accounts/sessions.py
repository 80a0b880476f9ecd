"""Login sessions and API tokens: random secrets handed out once, looked up by their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from paperstand.accounts.models import ApiToken, Member, MemberSession

# A login lasts this long without a new login; long enough not to annoy, short enough that a stolen
# cookie dies on its own.
SESSION_DAYS = 30
# The longest secret we look up: anything longer is not ours, and hashing it is wasted work.
MAX_SECRET = 100
API_TOKEN_PREFIX = "ps_"
# /settings shows when a token was last used, to this precision: a script calling every second writes once a minute.
TOKEN_USE_PRECISION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    """The stored form of a session or token secret (they are random, so a fast hash is enough)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def open_session(session: Session, *, member_id: int, now: datetime) -> str:
    """Start a login for ``member_id`` and return the cookie's secret (the caller commits)."""
    secret = secrets.token_urlsafe(32)
    session.add(MemberSession(token_hash=hash_secret(secret), member_id=member_id, created_at=now,
                              expires_at=now + timedelta(days=SESSION_DAYS)))
    return secret


def close_session(session: Session, *, secret: str) -> None:
    """End the login whose cookie holds ``secret`` (the caller commits)."""
    session.execute(delete(MemberSession).where(MemberSession.token_hash == hash_secret(secret)))


def close_all_sessions(session: Session, *, member_id: int) -> None:
    """End every login of a member: after a password change, a reset or a ban (the caller commits)."""
    session.execute(delete(MemberSession).where(MemberSession.member_id == member_id))


def member_for_session(session: Session, *, secret: str, now: datetime) -> Member | None:
    """The member whose live login cookie holds ``secret``, or None."""
    if not secret or len(secret) > MAX_SECRET:
        return None
    row = session.execute(
        select(Member).join(MemberSession, MemberSession.member_id == Member.id)
        .where(MemberSession.token_hash == hash_secret(secret), MemberSession.expires_at > now)
    ).scalar_one_or_none()
    return row


def new_api_token(session: Session, *, member_id: int, name: str, now: datetime) -> str:
    """Make an API token and return it; only its hash is kept, so it is shown once (the caller commits)."""
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(token_hash=hash_secret(secret), member_id=member_id, name=name,
                         prefix=secret[:10], created_at=now))
    return secret


def member_for_api_token(session: Session, *, secret: str) -> Member | None:
    """The member an unrevoked API token belongs to, or None."""
    if not secret or len(secret) > MAX_SECRET:
        return None
    return session.execute(
        select(Member).join(ApiToken, ApiToken.member_id == Member.id)
        .where(ApiToken.token_hash == hash_secret(secret), ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()


# Built once with a bound parameter: every API write (each vote) starts with this lookup.
_TOKEN_MEMBER = (select(Member, ApiToken.last_used_at).join(ApiToken, ApiToken.member_id == Member.id)
                 .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None)))


def api_token_use(session: Session, *, secret: str) -> tuple[Member, datetime | None] | None:
    """The member an unrevoked API token belongs to and when the token was last used, or None."""
    if not secret or len(secret) > MAX_SECRET:
        return None
    row = session.execute(_TOKEN_MEMBER, {"token_hash": hash_secret(secret)}).one_or_none()
    return None if row is None else (row[0], row[1])


_TOKENS_MEMBERS = (select(ApiToken.token_hash, Member, ApiToken.last_used_at)
                   .join(ApiToken, ApiToken.member_id == Member.id)
                   .where(ApiToken.token_hash.in_(bindparam("hashes", expanding=True)), ApiToken.revoked_at.is_(None)))


def api_tokens_use(session: Session, *, secrets_: Collection[str]) -> dict[str, tuple[Member, datetime | None]]:
    """``api_token_use`` for many tokens in one statement: each valid token, mapped to its member and last use."""
    hashes = {hash_secret(s): s for s in set(secrets_) if s and len(s) <= MAX_SECRET}
    if not hashes:
        return {}
    rows = session.execute(_TOKENS_MEMBERS, {"hashes": sorted(hashes)}).all()
    return {hashes[token_hash]: (member, last_used) for token_hash, member, last_used in rows}


def token_use_is_stale(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether "last used" is worth writing again: a write per API call would queue behind every vote."""
    if last_used_at is None:
        return True
    if last_used_at.tzinfo is None:
        last_used_at = last_used_at.replace(tzinfo=now.tzinfo)
    return last_used_at < now - TOKEN_USE_PRECISION


def touch_api_token(session: Session, *, secret: str, now: datetime) -> None:
    """Record that a token was used now, at most once per ``TOKEN_USE_PRECISION`` (the caller commits)."""
    if not secret or len(secret) > MAX_SECRET:
        return
    session.execute(update(ApiToken)
                    .where(ApiToken.token_hash == hash_secret(secret),
                           or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOKEN_USE_PRECISION))
                    .values(last_used_at=now).execution_options(synchronize_session=False))
