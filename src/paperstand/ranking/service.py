"""Keeping the stored trending scores current: in bulk (a worker job) and for one paper (after a vote)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def refresh_paper(session: Session, *, paper_id: int, now: datetime) -> None:
    """Recompute one paper's stored score in the caller's transaction (called after a vote or comment)."""
    # The formula and the bulk job land with ``ranking/trending.py``; until then nothing is stored.
    return None
