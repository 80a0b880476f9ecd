"""What moderators do (hide and restore comments and submissions, ban, dismiss reports) and members' reports.

Each action is a guarded UPDATE whose row count decides whether it happened, so two moderators acting at
once write one public log row (``moderation_log.record``), and the row commits with the change itself.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Update, select, update
from sqlalchemy.orm import Session

from paperstand.accounts.bans import MAX_REASON, set_ban
from paperstand.accounts.models import Member
from paperstand.community.models import Comment, CommentFlag
from paperstand.community.moderation_log import record
from paperstand.community.moderation_queries import find_pick
from paperstand.dialect import insert_or_ignore
from paperstand.errors import BadRequest, NotFound
from paperstand.papers.models import DailyPick


def clean_reason(text: str, what: str = "a reason") -> str:
    """A moderation or report reason as stored: trimmed, 1 to ``MAX_REASON`` characters."""
    text = text.strip()
    if not text or len(text) > MAX_REASON:
        raise BadRequest(f"moderation: {what} of 1 to {MAX_REASON:,} characters is required",
                         hint="Say why in a sentence: it is shown in the public moderation log.")
    return text


def hide_comment(session: Session, *, comment_id: int, moderator_id: int | None, reason: str,
                 now: datetime) -> bool:
    """Hide a comment for everyone, with a public reason; its open reports are resolved. False if already hidden."""
    reason = clean_reason(reason)
    comment = _comment(session, comment_id)
    changed = _apply(session, update(Comment).where(Comment.id == comment_id, Comment.hidden_at.is_(None))
                     .values(hidden_at=now, hidden_reason=reason))
    if changed:
        _resolve_flags(session, comment_id, now)
        record(session, moderator_id=moderator_id, action="hide_comment", target_kind="comment",
               target_id=comment_id, target_member_id=comment.member_id, reason=reason, now=now)
    session.commit()
    return changed


def unhide_comment(session: Session, *, comment_id: int, moderator_id: int | None, reason: str,
                   now: datetime) -> bool:
    """Show a hidden comment again, with a public reason. False if it was not hidden."""
    reason = clean_reason(reason)
    comment = _comment(session, comment_id)
    changed = _apply(session, update(Comment).where(Comment.id == comment_id, Comment.hidden_at.is_not(None))
                     .values(hidden_at=None, hidden_reason=None))
    if changed:
        record(session, moderator_id=moderator_id, action="unhide_comment", target_kind="comment",
               target_id=comment_id, target_member_id=comment.member_id, reason=reason, now=now)
    session.commit()
    return changed


def hide_submission(session: Session, *, pick_id: int, moderator_id: int | None, reason: str, now: datetime,
                    hidden: bool = True) -> bool:
    """Hide (or, ``hidden=False``, restore) a paper's place on a day's list, with a public reason."""
    reason = clean_reason(reason)
    pick = session.get(DailyPick, pick_id)
    if pick is None:
        raise NotFound(f"moderation: there is no submission {pick_id}")
    guard = DailyPick.hidden_at.is_(None) if hidden else DailyPick.hidden_at.is_not(None)
    changed = _apply(session, update(DailyPick).where(DailyPick.id == pick_id, guard)
                     .values(hidden_at=now if hidden else None, hidden_reason=reason if hidden else None))
    if changed:
        record(session, moderator_id=moderator_id, action="hide_submission" if hidden else "unhide_submission",
               target_kind="submission", target_id=pick_id, target_member_id=pick.member_id, reason=reason, now=now)
    session.commit()
    return changed


def hide_listed(session: Session, *, paper_id: str, day: date, moderator_id: int | None, reason: str,
                now: datetime) -> bool:
    """``hide_submission`` for the paper ``paper_id`` names on ``day``'s list."""
    pick = find_pick(session, paper_id=paper_id, day=day)
    return hide_submission(session, pick_id=pick.id, moderator_id=moderator_id, reason=reason, now=now)


def ban_member(session: Session, *, name: str, banned: bool, reason: str, moderator_id: int | None,
               now: datetime) -> Member:
    """Ban or unban the member called ``name`` (``accounts.bans.set_ban`` logs it); nobody bans themselves."""
    member = member_named(session, name)
    if banned and member.id == moderator_id:
        raise BadRequest("moderation: you cannot ban yourself")
    return set_ban(session, member_id=member.id, banned=banned, reason=clean_reason(reason),
                   moderator_id=moderator_id, now=now)


def member_named(session: Session, name: str) -> Member:
    """The member called ``name`` (any case), or NotFound."""
    member = session.scalars(select(Member).where(Member.name_key == name.strip().lower()[:40])).one_or_none()
    if member is None:
        raise NotFound(f"moderation: there is no member called {name.strip()[:40]!r}")
    return member


def flag(session: Session, *, comment_id: int, member_id: int, reason: str, now: datetime) -> bool:
    """Report a comment to the moderators, once per member; commits. False when this member had reported it."""
    reason = clean_reason(reason, "a reason for the report")
    comment = _comment(session, comment_id)
    if comment.member_id == member_id:
        raise BadRequest("moderation: you cannot report your own comment", hint="You can edit or delete it instead.")
    if comment.deleted_at is not None or comment.hidden_at is not None:
        raise BadRequest("moderation: this comment is already deleted or hidden")
    stmt = insert_or_ignore(session, CommentFlag, keys=["comment_id", "member_id"]).returning(CommentFlag.id)
    new = session.execute(stmt, [{"comment_id": comment_id, "member_id": member_id, "reason": reason,
                                  "created_at": now}]).scalar()
    session.commit()
    return new is not None


def dismiss_flags(session: Session, *, comment_id: int, moderator_id: int | None, reason: str,
                  now: datetime) -> int:
    """Close a comment's open reports without hiding it, logged with a reason; how many were closed."""
    reason = clean_reason(reason)
    comment = _comment(session, comment_id)
    closed = _resolve_flags(session, comment_id, now)
    if closed:
        record(session, moderator_id=moderator_id, action="dismiss_flags", target_kind="comment",
               target_id=comment_id, target_member_id=comment.member_id, reason=reason, now=now)
    session.commit()
    return closed


def _comment(session: Session, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(f"moderation: there is no comment {comment_id}")
    return comment


def _apply(session: Session, stmt: Update) -> bool:
    """Run a guarded UPDATE; whether it changed a row (so whether this request did the action)."""
    return bool(cast(CursorResult[Any], session.execute(stmt)).rowcount)


def _resolve_flags(session: Session, comment_id: int, now: datetime) -> int:
    result = session.execute(update(CommentFlag).where(CommentFlag.comment_id == comment_id,
                                                       CommentFlag.resolved_at.is_(None)).values(resolved_at=now))
    return int(cast(CursorResult[Any], result).rowcount)
