"""The personal sections of a member's digest (recommendations, follows, watch alerts), as the email shows them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SectionItem:
    """One line of a section: a paper (or an alert about one), why it is there, and its 👍/👎 links if rated."""

    title: str
    url: str
    reasons: tuple[str, ...]
    up_url: str | None = None
    down_url: str | None = None


@dataclass(frozen=True)
class Section:
    """A heading and its lines ("Recommended for you", "From what you follow", "Papers you watch")."""

    name: str  # "recommended", "follows" or "watch": the HTML's anchor and class
    heading: str
    items: tuple[SectionItem, ...]
