"""Days, ISO weeks and months as date ranges: parsing, formatting and neighbours. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadPeriod(ValueError):
    """A date, week or month string that does not name a real period."""


@dataclass(frozen=True)
class Period:
    """A half-open range of days [start, end) with its kind and canonical label."""

    kind: str  # "day", "week" or "month"
    start: date
    end: date

    @property
    def label(self) -> str:
        """Canonical text: 2025-03-11, 2025-W11 or 2025-03."""
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    def shifted(self, steps: int) -> Period:
        """The period ``steps`` away (negative for earlier)."""
        if self.kind == "day":
            return day_period(self.start + timedelta(days=steps))
        if self.kind == "week":
            return week_period_of(self.start + timedelta(weeks=steps))
        month = self.start.year * 12 + self.start.month - 1 + steps
        return month_period(month // 12, month % 12 + 1)


def day_period(day: date) -> Period:
    """The one-day period of ``day``."""
    return Period("day", day, day + timedelta(days=1))


def week_period_of(day: date) -> Period:
    """The ISO week (Monday to Sunday) containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return Period("week", monday, monday + timedelta(days=7))


def month_period(year: int, month: int) -> Period:
    """The calendar month."""
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    return Period("month", start, end)


def parse_day(text: str) -> Period:
    """Parse YYYY-MM-DD."""
    if not _DAY.match(text):
        raise BadPeriod(f"invalid date {text!r}: expected YYYY-MM-DD")
    try:
        return day_period(date.fromisoformat(text))
    except ValueError as exc:
        raise BadPeriod(f"invalid date {text!r}: {exc}") from None


def parse_week(text: str) -> Period:
    """Parse an ISO week, YYYY-Www."""
    match = _WEEK.match(text)
    if not match:
        raise BadPeriod(f"invalid week {text!r}: expected YYYY-Www, e.g. 2025-W09")
    try:
        return week_period_of(date.fromisocalendar(int(match[1]), int(match[2]), 1))
    except ValueError as exc:
        raise BadPeriod(f"invalid week {text!r}: {exc}") from None


def parse_month(text: str) -> Period:
    """Parse YYYY-MM."""
    match = _MONTH.match(text)
    if not match or not 1 <= int(match[2]) <= 12:
        raise BadPeriod(f"invalid month {text!r}: expected YYYY-MM, e.g. 2025-02")
    return month_period(int(match[1]), int(match[2]))
