"""The public moderation log: every moderator action writes one row, shown at /moderation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from paperstand.community.models import ModerationAction


def record(session: Session, *, moderator_id: int | None, action: str, target_kind: str, target_id: int,
           reason: str, now: datetime, target_member_id: int | None = None) -> ModerationAction:
    """Add a log row in the caller's transaction (``moderator_id`` None: an operator at the command line)."""
    row = ModerationAction(moderator_id=moderator_id, action=action, target_kind=target_kind,
                           target_id=target_id, target_member_id=target_member_id, reason=reason,
                           created_at=now)
    session.add(row)
    return row
