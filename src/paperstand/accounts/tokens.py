"""The links mailed to members: single-use, expiring, and good for one purpose only (RELIABILITY 13)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from paperstand.accounts.errors import InvalidLink
from paperstand.accounts.models import AccountToken
from paperstand.accounts.sessions import MAX_SECRET, hash_secret

# How long each kind of link works. A reset link opens the account, so it dies soonest; a verification
# link may sit in an inbox over a weekend.
TTL = {
    "verify": timedelta(hours=72),
    "reset": timedelta(hours=1),
    "email": timedelta(hours=24),
}
PURPOSES = frozenset(TTL)
AGAIN = {"verify": "Log in and ask for a new link in Settings.", "reset": "Ask for a new link on the reset page.",
         "email": "Ask for the change again in Settings."}


def issue(session: Session, *, member_id: int, purpose: str, now: datetime, address: str) -> tuple[int, str]:
    """Make a token for ``purpose`` and return its id and secret (only the hash is kept; the caller commits).

    ``address`` is the address the link goes to: for "verify" the one it proves, for "email" the one to move to.
    """
    assert purpose in PURPOSES
    secret = secrets.token_urlsafe(32)
    token = AccountToken(token_hash=hash_secret(secret), purpose=purpose, member_id=member_id, new_email=address,
                         created_at=now, expires_at=now + TTL[purpose])
    session.add(token)
    session.flush()
    return token.id, secret


def peek(session: Session, *, secret: str, purpose: str, now: datetime) -> AccountToken:
    """The live token behind ``secret`` without spending it (to check a form first), or ``InvalidLink``."""
    row = _row(session, secret)
    if row is None or row.purpose != purpose:
        raise InvalidLink("this link is not valid", hint=AGAIN[purpose])
    if row.used_at is not None:
        raise InvalidLink("this link was already used", hint=AGAIN[purpose])
    if row.expires_at <= now:
        raise InvalidLink("this link has expired", hint=AGAIN[purpose])
    return row


def spend(session: Session, *, secret: str, purpose: str, now: datetime) -> AccountToken:
    """Use a token once: of any number of concurrent spends exactly one succeeds (the caller commits)."""
    if not secret or len(secret) > MAX_SECRET:
        raise InvalidLink("this link is not valid", hint=AGAIN[purpose])
    # The guarded UPDATE is the lock: a second spender finds used_at set and changes nothing; reading
    # first and writing after would let both through on SQLite, which has no SELECT ... FOR UPDATE.
    result = session.execute(
        update(AccountToken)
        .where(AccountToken.token_hash == hash_secret(secret), AccountToken.purpose == purpose,
               AccountToken.used_at.is_(None), AccountToken.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False))
    if cast(CursorResult[Any], result).rowcount != 1:
        peek(session, secret=secret, purpose=purpose, now=now)  # raises, saying why
        raise InvalidLink("this link was already used", hint=AGAIN[purpose])  # spent by a concurrent twin
    row = _row(session, secret)
    assert row is not None
    return row


def void(session: Session, *, member_id: int, purpose: str, now: datetime) -> None:
    """Spend every open token of one purpose (a new password kills older reset links; the caller commits)."""
    session.execute(update(AccountToken)
                    .where(AccountToken.member_id == member_id, AccountToken.purpose == purpose,
                           AccountToken.used_at.is_(None))
                    .values(used_at=now).execution_options(synchronize_session=False))


def _row(session: Session, secret: str) -> AccountToken | None:
    if not secret or len(secret) > MAX_SECRET:
        return None
    return session.execute(select(AccountToken).where(AccountToken.token_hash == hash_secret(secret))
                           .execution_options(populate_existing=True)).scalar_one_or_none()
