"""A member's API tokens, as /settings lists, makes and revokes them (the secret is shown once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from paperstand.accounts.errors import InvalidForm
from paperstand.accounts.models import ApiToken
from paperstand.accounts.sessions import new_api_token
from paperstand.errors import BadRequest, NotFound
from paperstand.mail.headers import header_text

MAX_NAME = 100
# Enough for every script and machine a person runs; a member with more has forgotten what they are for.
MAX_TOKENS = 25


def live_tokens(session: Session, *, member_id: int) -> list[ApiToken]:
    """The member's unrevoked tokens, newest first."""
    return list(session.execute(select(ApiToken).where(ApiToken.member_id == member_id, ApiToken.revoked_at.is_(None))
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).scalars())


def create_token(session: Session, *, member_id: int, name: str, now: datetime) -> str:
    """Make a named token and return its secret, to show once. Commits."""
    label = " ".join(header_text(name).split())
    if not label or len(label) > MAX_NAME:
        raise InvalidForm({"token_name": f"token name: use 1 to {MAX_NAME} characters, e.g. 'laptop script'"})
    count = session.execute(select(func.count()).select_from(ApiToken)
                            .where(ApiToken.member_id == member_id, ApiToken.revoked_at.is_(None))).scalar_one()
    if count >= MAX_TOKENS:
        raise BadRequest(f"you have {count} tokens already", hint="Revoke the ones you no longer use first.")
    secret = new_api_token(session, member_id=member_id, name=label, now=now)
    session.commit()
    return secret


def revoke_token(session: Session, *, member_id: int, token_id: int, now: datetime) -> None:
    """Revoke one of the member's tokens; revoking it again changes nothing. Commits."""
    result = session.execute(update(ApiToken).where(ApiToken.id == token_id, ApiToken.member_id == member_id,
                                                    ApiToken.revoked_at.is_(None))
                             .values(revoked_at=now).execution_options(synchronize_session=False))
    if cast(CursorResult[Any], result).rowcount == 0:
        owned = session.execute(select(ApiToken.id).where(ApiToken.id == token_id,
                                                          ApiToken.member_id == member_id)).first()
        if owned is None:
            raise NotFound("no such token", hint="It may belong to another account.")
    session.commit()
