"""Banning and unbanning a member: every right gone at once, every login ended, and a public log row."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.accounts.sessions import close_all_sessions
from paperstand.community.moderation_log import record
from paperstand.errors import BadRequest, NotFound

MAX_REASON = 2000


def set_ban(session: Session, *, member_id: int, banned: bool, reason: str, moderator_id: int | None,
            now: datetime) -> Member:
    """Ban (or unban) a member with a reason, logged publicly; commits. Admins cannot be banned this way."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise BadRequest(f"a reason of 1 to {MAX_REASON} characters is required")
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("no such member")
    if banned and member.role == "admin":
        raise BadRequest("an admin cannot be banned", hint="Change their role first: paperstand users set-role.")
    # Guarded so that two moderators banning at once write one log row.
    guard = Member.banned_at.is_(None) if banned else Member.banned_at.is_not(None)
    result = session.execute(
        update(Member).where(Member.id == member_id, guard)
        .values(banned_at=now if banned else None, ban_reason=reason if banned else None))
    changed = cast(CursorResult[Any], result).rowcount
    if changed:
        if banned:
            close_all_sessions(session, member_id=member_id)
        record(session, moderator_id=moderator_id, action="ban" if banned else "unban", target_kind="member",
               target_id=member_id, target_member_id=member_id, reason=reason, now=now)
    session.commit()
    session.refresh(member)
    return member
