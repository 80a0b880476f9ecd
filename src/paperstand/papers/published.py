"""When a paper first appeared on arXiv: the source's date, else the month its id names. Pure.

An arXiv id encodes the month it was assigned: ``2605.01234`` (May 2026), ``hep-th/9901001``
(January 1999). Sources such as the daily JSON-lines files carry no date at all, so the id is the
only date they give; it is stored as the first of that month with precision ``"month"``, so that
month listings and date filters find the paper while day listings (which promise a day) leave it out.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Literal

Precision = Literal["day", "month"]
DAY: Precision = "day"
MONTH: Precision = "month"

# YYMM, then the sequence number (new style), or archive/YYMMNNN (old style, 1991 to March 2007).
_NEW_STYLE = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}(?:v\d+)?$")
_OLD_STYLE = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z]{2})?/(\d{2})(\d{2})\d{3}(?:v\d+)?$", re.IGNORECASE)
# Old-style ids began in August 1991: a two-digit year from 91 on is 19xx, below it 20xx.
_FIRST_OLD_YEAR = 91


def id_month(arxiv_id: str | None) -> date | None:
    """The first day of the month an arXiv id was assigned in, or ``None`` when it names none."""
    if not arxiv_id:
        return None
    new = _NEW_STYLE.match(arxiv_id)
    if new:
        # New-style ids started with 0704 (April 2007): every one of them is 20xx.
        year, month = 2000 + int(new[1]), int(new[2])
    else:
        old = _OLD_STYLE.match(arxiv_id)
        if not old:
            return None
        yy, month = int(old[1]), int(old[2])
        year = 1900 + yy if yy >= _FIRST_OLD_YEAR else 2000 + yy
    return date(year, month, 1) if 1 <= month <= 12 else None


def arxiv_date(source_date: datetime | None, arxiv_id: str | None) -> tuple[datetime | None, Precision | None]:
    """The date to store and its precision: the source's own date (a day), else the id's month."""
    if source_date is not None:
        return source_date, DAY
    month = id_month(arxiv_id)
    if month is None:
        return None, None
    return datetime(month.year, month.month, 1, tzinfo=UTC), MONTH


Dated = tuple[datetime | None, str | None]


def keep_precise(merged: Dated, old: Dated, new: Dated) -> Dated:
    """The merged date, unless it is only a month and the old row or the new record knows the day.

    A source's rank decides most fields, but a day from any source beats a month guessed from the id:
    the guess says nothing the day does not.
    """
    if merged[0] is not None and merged[1] == DAY:
        return merged
    for candidate in (new, old):
        if candidate[0] is not None and candidate[1] == DAY:
            return candidate
    return merged


def published_label(published_at: datetime | None, precision: str | None) -> str:
    """``May 4, 2026`` for a known day, ``May 2026`` when only the month is known, ``""`` when neither."""
    if published_at is None:
        return ""
    day = published_at.astimezone(UTC).date()
    if precision == MONTH:
        return f"{day:%B} {day.year}"
    return f"{day:%b} {day.day}, {day.year}"
