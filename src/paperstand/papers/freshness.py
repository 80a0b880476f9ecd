"""When the stored papers last changed: the Last-Modified time of pages, feeds and API answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperstand.papers.models import Paper


def data_changed_at(session: Session) -> datetime | None:
    """The newest ``last_changed_at`` of any paper (an index lookup), or ``None`` with no papers.

    The store also moves a paper's ``last_changed_at`` when its signals or featured days change, so this
    covers everything a list or paper page shows.
    """
    return session.execute(select(func.max(Paper.last_changed_at))).scalar()
