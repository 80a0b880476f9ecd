"""Subscriber preferences: parse and validate the form, apply to the subscriber. Pure apart from the row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

from paperstand.errors import DomainError
from paperstand.papers.categories import UnknownCategory, canonical_topic
from paperstand.subscriptions.models import Subscriber

FREQUENCIES = ("daily", "weekly")
MAX_PAPERS_RANGE = (1, 50)
MAX_TOPICS = 30
# The column's width; the longest IANA name is about 30 characters.
MAX_TIMEZONE_LENGTH = 64


class InvalidPreferences(DomainError):
    """A preferences form with values out of range; ``errors`` maps each bad field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


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


def _number(form: dict[str, str], name: str, default: int, low: int, high: int, what: str,
            errors: dict[str, str]) -> int:
    """A whole number in ``low..high``, or ``default`` with a message in ``errors``."""
    text = form.get(name, str(default)).strip()
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        errors[name] = f"{what} must be a whole number {low}-{high}"
        return default
    return value


def _categories(text: str, errors: dict[str, str]) -> tuple[str, ...]:
    """arXiv categories or whole archives, in their official spelling; unknown ones refused with the valid ones."""
    topics = _split(text)
    if len(topics) > MAX_TOPICS:
        errors["categories"] = f"at most {MAX_TOPICS} categories"
        return ()
    found: list[str] = []
    for topic in topics:
        try:
            found.append(canonical_topic(topic))
        except UnknownCategory as exc:
            errors["categories"] = str(exc)
            return ()
    return tuple(dict.fromkeys(found))


def parse_preferences(form: dict[str, str]) -> Preferences:
    """Validate the form's fields; each bad field gets one clear message (``InvalidPreferences.errors``)."""
    errors: dict[str, str] = {}
    frequency = form.get("frequency", "daily")
    if frequency not in FREQUENCIES:
        errors["frequency"] = "frequency must be daily or weekly"
    weekday = _number(form, "weekday", 0, 0, 6, "the weekday", errors)
    hour = _number(form, "send_hour", 8, 0, 23, "the hour", errors)
    count = _number(form, "max_papers", 10, *MAX_PAPERS_RANGE, "the number of papers", errors)
    timezone = form.get("timezone", "UTC").strip() or "UTC"
    if not is_timezone(timezone):
        errors["timezone"] = f"unknown time zone {timezone[:60]!r}; pick one from the list, e.g. Europe/Paris"
    categories, keywords = _categories(form.get("categories", ""), errors), _split(form.get("keywords", ""))
    if len(keywords) > MAX_TOPICS:
        errors["keywords"] = f"at most {MAX_TOPICS} keywords"
    if errors:
        raise InvalidPreferences(errors)
    return Preferences(frequency, weekday, hour, timezone, categories,
                       tuple(dict.fromkeys(k[:100] for k in keywords)), count, form.get("paused") == "on")


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA zone this system knows, checked against the list, never the file system.

    ``ZoneInfo(name)`` opens files: a folder name such as ``America`` or an over-long name raises
    ``IsADirectoryError`` or ``OSError`` instead of ``ZoneInfoNotFoundError``.
    """
    return len(name) <= MAX_TIMEZONE_LENGTH and name in _zone_names()


def apply_preferences(subscriber: Subscriber, prefs: Preferences) -> None:
    """Store the choices; they take effect from the next run."""
    subscriber.frequency, subscriber.weekday, subscriber.send_hour = prefs.frequency, prefs.weekday, prefs.send_hour
    subscriber.timezone, subscriber.max_papers, subscriber.paused = prefs.timezone, prefs.max_papers, prefs.paused
    subscriber.categories, subscriber.keywords = list(prefs.categories), list(prefs.keywords)


def common_timezones() -> list[str]:
    """Time zones offered in the form (UTC first)."""
    return ["UTC", *sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))]
