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


# How each kind is written, with an example: the text of every "bad period" message.
FORMATS: dict[str, tuple[str, str]] = {
    "day": ("a date as YYYY-MM-DD", "2025-03-11"),
    "week": ("an ISO week as YYYY-Www", "2025-W11"),
    "month": ("a month as YYYY-MM", "2025-03"),
}
_PARSERS = {"day": parse_day, "week": parse_week, "month": parse_month}


def kind_of(text: str) -> str | None:
    """Which kind of period ``text`` is shaped like ("day", "week", "month"), or ``None``."""
    if _WEEK.match(text):
        return "week"
    if _DAY.match(text):
        return "day"
    if _MONTH.match(text):
        return "month"
    return None


def parse_period(text: str, kinds: tuple[str, ...] = ("day", "week", "month")) -> Period:
    """Parse a day, ISO week or month label, accepting only ``kinds``; BadPeriod names what is expected."""
    kind = kind_of(text)
    if kind is not None and kind in kinds:
        return _PARSERS[kind](text)
    if len(kinds) == 1:
        # One kind: its own parser gives the most precise message ("month 13", "week 54").
        return _PARSERS[kinds[0]](text)
    expected = " or ".join(f"{FORMATS[k][0]} (e.g. {FORMATS[k][1]})" for k in kinds)
    shown = text if len(text) <= 40 else text[:40] + "…"
    raise BadPeriod(f"invalid period {shown!r}: expected {expected}")


def _day_words(day: date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def title(period: Period) -> str:
    """A page heading: ``Mar 11, 2025``, ``Week 11 of 2025`` or ``March 2025``."""
    if period.kind == "day":
        return f"{period.start:%b} {period.start.day}, {period.start.year}"
    if period.kind == "week":
        year, week, _ = period.start.isocalendar()
        return f"Week {week} of {year}"
    return f"{period.start:%B} {period.start.year}"


def of_words(period: Period) -> str:
    """The period as words after "of": ``of 11 March 2025``, ``of the week 2025-W11``, ``of March 2025``."""
    if period.kind == "day":
        return f"of {_day_words(period.start)}"
    if period.kind == "week":
        return f"of the week {period.label}"
    return f"of {period.start:%B} {period.start.year}"


def papers_of(period: Period) -> str:
    """What a feed or mail about the period is called: ``Papers of 11 March 2025``,
    ``Papers of the week 2025-W11``, ``Papers of March 2025``."""
    return f"Papers {of_words(period)}"


def span_words(start: date, last: date) -> str:
    """Days from ``start`` to ``last`` (inclusive) in words: ``11 March 2025``, ``8–11 March 2025``,
    ``28 February – 3 March 2025``, ``30 December 2024 – 2 January 2025``."""
    if start == last:
        return _day_words(start)
    if (start.year, start.month) == (last.year, last.month):
        return f"{start.day}–{_day_words(last)}"
    if start.year == last.year:
        return f"{start.day} {start:%B} – {_day_words(last)}"
    return f"{_day_words(start)} – {_day_words(last)}"
