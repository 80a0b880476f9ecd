"""Subscriber preferences: parse and validate the form, apply to the subscriber. Pure apart from the row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from paperstand.errors import DomainError
from paperstand.subscriptions.models import Subscriber

FREQUENCIES = ("daily", "weekly")
MAX_PAPERS_RANGE = (1, 50)
MAX_TOPICS = 30
_CATEGORY = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$")


class InvalidPreferences(DomainError):
    """A preferences form with a value out of range."""


@dataclass(frozen=True)
class Preferences:
    """Everything a subscriber can choose."""

    frequency: str
    weekday: int
    send_hour: int
    timezone: str
    categories: tuple[str, ...]
    keywords: tuple[str, ...]
    max_papers: int
    paused: bool


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


def parse_preferences(form: dict[str, str]) -> Preferences:
    """Validate the form's fields; every problem is one clear message."""
    frequency = form.get("frequency", "daily")
    if frequency not in FREQUENCIES:
        raise InvalidPreferences("frequency must be daily or weekly")
    try:
        weekday, hour, count = int(form.get("weekday", "0")), int(form.get("send_hour", "8")), int(
            form.get("max_papers", "10"))
    except ValueError:
        raise InvalidPreferences("weekday, hour and number of papers must be numbers") from None
    if not (0 <= weekday <= 6 and 0 <= hour <= 23 and MAX_PAPERS_RANGE[0] <= count <= MAX_PAPERS_RANGE[1]):
        raise InvalidPreferences("weekday is 0-6, hour 0-23, and papers 1-50")
    timezone = form.get("timezone", "UTC").strip() or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidPreferences(f"unknown time zone {timezone[:60]!r}") from None
    categories, keywords = _split(form.get("categories", "")), _split(form.get("keywords", ""))
    bad = [c for c in categories if not _CATEGORY.match(c)]
    if bad or len(categories) > MAX_TOPICS or len(keywords) > MAX_TOPICS:
        raise InvalidPreferences(f"categories look like cs.CL or cs (not {', '.join(bad[:3])}); at most "
                                 f"{MAX_TOPICS} of each" if bad else f"at most {MAX_TOPICS} categories and keywords")
    return Preferences(frequency, weekday, hour, timezone, tuple(dict.fromkeys(categories)),
                       tuple(dict.fromkeys(k[:100] for k in keywords)), count, form.get("paused") == "on")


def apply_preferences(subscriber: Subscriber, prefs: Preferences) -> None:
    """Store the choices; they take effect from the next run."""
    subscriber.frequency, subscriber.weekday, subscriber.send_hour = prefs.frequency, prefs.weekday, prefs.send_hour
    subscriber.timezone, subscriber.max_papers, subscriber.paused = prefs.timezone, prefs.max_papers, prefs.paused
    subscriber.categories, subscriber.keywords = list(prefs.categories), list(prefs.keywords)


def common_timezones() -> list[str]:
    """Time zones offered in the form (UTC first)."""
    return ["UTC", *sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))]
