"""Which digest a subscriber is owed right now, if any. Pure: no database, no clock.

A daily subscriber gets one digest per local weekday (Monday to Friday), from their send hour on; a
weekly subscriber one per ISO week, from their send hour on their chosen weekday (or later that week,
when the worker was down at the time). The outbox key is the local date ("2026-03-02") or the local
ISO week ("2026-W10"), so each is planned once whichever run sees it first, and ``digest send
--period`` for the same day or week shares the key and never doubles it.

The digest holds the papers featured since the days the previous digest covered, up to the newest
featured day not after the subscriber's local date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# How far back from the subscriber's today a digest reaches (after a long pause, or on stale data).
DAILY_LOOKBACK = timedelta(days=7)
WEEKLY_LOOKBACK = timedelta(days=14)
# A first daily digest covers only the newest featured day; a first weekly digest the last week.
FIRST_WEEKLY_SPAN = timedelta(days=6)


@dataclass(frozen=True)
class Schedule:
    """The parts of a subscriber's preferences that decide when mail is due."""

    frequency: str  # "daily" or "weekly"
    send_hour: int  # 0-23, local time
    timezone: str  # IANA name
    weekday: int = 0  # 0 = Monday; weekly only


@dataclass(frozen=True)
class Due:
    """A digest owed now: its outbox key and the featured days it covers (inclusive)."""

    label: str
    first_day: date
    last_day: date


def local_time(now: datetime, timezone: str) -> datetime:
    """``now`` (aware, any zone) in the subscriber's zone; an unknown zone name falls back to UTC."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone)


def week_label(day: date) -> str:
    """The ISO week label of a day: 2026-W10."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def due_label(schedule: Schedule, now: datetime) -> str | None:
    """The outbox key of the digest due at ``now``, or ``None`` when nothing is due yet."""
    local = local_time(now, schedule.timezone)
    today = local.date()
    if schedule.frequency == "weekly":
        weekday = local.weekday()
        if weekday > schedule.weekday or (weekday == schedule.weekday and local.hour >= schedule.send_hour):
            return week_label(today)
        return None
    if today.weekday() < 5 and local.hour >= schedule.send_hour:
        return today.isoformat()
    return None


def due_digest(schedule: Schedule, now: datetime, *, last_covered: date | None,
               latest_featured: date | None) -> Due | None:
    """What is owed now: ``None`` when not due yet, or when nothing was featured since the last digest.

    ``last_covered`` is the newest featured day any earlier digest of this subscriber covered;
    ``latest_featured`` the newest day with featured papers in the database.
    """
    label = due_label(schedule, now)
    if label is None or latest_featured is None:
        return None
    today = local_time(now, schedule.timezone).date()
    last_day = min(latest_featured, today)
    weekly = schedule.frequency == "weekly"
    # Never reach back further than the lookback from today: a site that stopped harvesting for a
    # month must not mail month-old papers as news.
    earliest = today - (WEEKLY_LOOKBACK if weekly else DAILY_LOOKBACK) + timedelta(days=1)
    if last_covered is None:
        first_day = last_day - FIRST_WEEKLY_SPAN if weekly else last_day
    else:
        first_day = last_covered + timedelta(days=1)
    first_day = max(first_day, earliest)
    if first_day > last_day:
        return None
    return Due(label, first_day, last_day)


def next_slot(schedule: Schedule, now: datetime, taken: set[str]) -> tuple[str, datetime]:
    """The next digest this subscriber is due, as (outbox key, moment it becomes due), skipping keys already used.

    ``now`` itself when a key is due now and not yet used; otherwise the next whole hour that is.
    """
    start = now.replace(minute=0, second=0, microsecond=0)
    for hours in range(0, 24 * 15):
        moment = now if hours == 0 else start + timedelta(hours=hours)
        label = due_label(schedule, moment)
        if label is not None and label not in taken:
            return label, moment
    raise ValueError("no digest is due within two weeks")  # unreachable for valid schedules
