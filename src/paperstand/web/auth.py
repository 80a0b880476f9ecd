"""Who is asking: the member behind a request's session cookie or Bearer token, and the rights checks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi import Request
from sqlalchemy.orm import Session

from paperstand.accounts.errors import LoginRequired, NotAllowed
from paperstand.accounts.models import Member
from paperstand.accounts.roles import allowed
from paperstand.accounts.sessions import (
    api_token_use,
    api_tokens_use,
    member_for_session,
    token_use_is_stale,
    touch_api_token,
)
from paperstand.round_trips import reads_without_begin

# The login cookie; the page cache (``web/cache.py``) never serves or stores a request that carries it.
SESSION_COOKIE = "ps_session"
_UNSET = object()
_API_HINT = "Send Authorization: Bearer <token>; make one in /settings."


def viewer(request: Request) -> Member | None:
    """The logged-in member of a page request (session cookie), looked up once per request."""
    found = getattr(request.state, "viewer", _UNSET)
    if found is _UNSET:
        secret = request.cookies.get(SESSION_COOKIE, "")
        found = None
        if secret:
            with request.app.state.sessions() as session:
                found = member_for_session(session, secret=secret, now=datetime.now(UTC))
                if found is not None:
                    session.expunge(found)
        request.state.viewer = found
    return found  # type: ignore[return-value]


def require(request: Request, right: str) -> Member:
    """The logged-in member, if they hold ``right``; otherwise LoginRequired or NotAllowed."""
    member = viewer(request)
    return _check(member, right, "Log in to do this.")


def api_caller(request: Request) -> Member | None:
    """The member of an API request's ``Authorization: Bearer`` token, or None."""
    secret = _bearer(request)
    if not secret:
        return None
    with request.app.state.sessions() as session:
        found = api_token_use(session, secret=secret)
        if found is None:
            return None
        member, last_used = found
        session.expunge(member)
        now = datetime.now(UTC)
        if token_use_is_stale(last_used, now):  # "last used" in /settings, to the minute
            touch_api_token(session, secret=secret, now=now)
            session.commit()
    return member


def require_api(request: Request, right: str) -> Member:
    """The API caller, if their token is valid and they hold ``right``: 401 or 403 otherwise."""
    return _check(api_caller(request), right, _API_HINT)


def require_api_many(requests: Sequence[Request], right: str, session: Session) -> list[Member | Exception]:
    """``require_api`` for many requests at once (a batch of votes): their tokens looked up in one statement."""
    secrets_ = [_bearer(request) for request in requests]
    with reads_without_begin(session):  # a batch's transaction begins with its first vote written
        found = api_tokens_use(session, secrets_=[s for s in secrets_ if s])
    now = datetime.now(UTC)
    stale = [s for s, (_, last_used) in found.items() if token_use_is_stale(last_used, now)]
    for secret in stale:
        touch_api_token(session, secret=secret, now=now)
    if stale:
        session.commit()
    answers: list[Member | Exception] = []
    for secret in secrets_:
        member = found[secret][0] if secret in found else None
        try:
            answers.append(_check(member, right, _API_HINT))
        except (LoginRequired, NotAllowed) as refused:
            answers.append(refused)
    return answers


def _bearer(request: Request) -> str:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def _check(member: Member | None, right: str, hint: str) -> Member:
    if member is None:
        raise LoginRequired("you need to be logged in", hint=hint)
    if not allowed(member, right):
        if member.banned_at is not None:
            raise NotAllowed("this account is banned", hint=member.ban_reason or None)
        if member.email_verified_at is None:
            raise NotAllowed("verify your email address first", hint="Follow the link we mailed you.")
        raise NotAllowed(f"your role ({member.role}) does not allow this")
    return member
