"""Jinja filters the page templates share: dates, author lines, safe outbound links, paper links."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment
from markupsafe import Markup

from paperstand.community.tallies import vote_marker
from paperstand.papers import links, periods
from paperstand.papers.links import author_line, http_url
from paperstand.papers.models import Paper
from paperstand.papers.periods import Period
from paperstand.papers.published import published_label as _published_label


def day_label(day: date) -> str:
    """``Mar 11, 2025``: the date header of a day page."""
    return f"{day:%b} {day.day}, {day.year}"


def short_day(day: date) -> str:
    """``Mar 11``: a day inside a week or month page."""
    return f"{day:%b} {day.day}"


def when(value: datetime | date | str | None) -> str:
    """A stored timestamp (or ISO string, as in version histories) as ``Mar 11, 2025``; ``""`` if unknown."""
    if isinstance(value, str):
        try:
            return day_label(datetime.fromisoformat(value))
        except ValueError:
            return value
    return day_label(value) if value is not None else ""


def period_title(period: Period) -> str:
    """``Mar 11, 2025``, ``Week 11 of 2025`` or ``March 2025``."""
    return periods.title(period)


def period_range(period: Period) -> str:
    """``Mar 10 – Mar 16, 2025``: the first and last day of a period."""
    last = period.end - timedelta(days=1)
    return f"{short_day(period.start)} – {day_label(last)}"


def repo_label(url: str) -> str:
    """``owner/repo`` for a GitHub URL, else the URL without its scheme."""
    parts = urlsplit(url)
    path = parts.path.strip("/").removesuffix(".git")
    return path if parts.netloc.endswith("github.com") and path else f"{parts.netloc}{parts.path}".rstrip("/")


def paper_url(paper: Paper) -> str:
    """The address of a paper's page on this site."""
    return links.paper_path(paper)


def abs_url(paper: Paper, version: int | None = None) -> str | None:
    """The arXiv abstract page (of one version, if given), when the paper has an arXiv id."""
    return links.arxiv_abs_url(paper, version)


def pdf_url(paper: Paper) -> str | None:
    """The PDF: the stored link when there is a safe one, else arXiv's."""
    return links.arxiv_pdf_url(paper)


def plural(count: int, word: str) -> str:
    """``1 paper``, ``3 papers``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def period_url(period: Period, page: int = 1) -> str:
    """The page of a period on this site, optionally at page ``page``."""
    return links.period_path(period, page)


def feed_url(period: Period, fmt: str = "rss") -> str:
    """The RSS or Atom feed of a period's page."""
    return links.feed_path(period, fmt)


def published_label(paper: Paper) -> str:
    """When the paper first appeared on arXiv: ``May 4, 2026``, or ``May 2026`` when only the month is known."""
    return _published_label(paper.published_at, paper.published_precision)


FILTERS: dict[str, Any] = {
    "day_label": day_label, "short_day": short_day, "when": when, "period_title": period_title,
    "period_range": period_range,
    "author_line": author_line, "http_url": http_url, "repo_label": repo_label, "paper_url": paper_url,
    "abs_url": abs_url, "pdf_url": pdf_url, "plural": plural, "period_url": period_url,
    "feed_url": feed_url, "published_label": published_label,
}


def live_votes(paper_id: int, base: int = 0) -> Markup:
    """Where a paper's vote count goes: a marker the live-counts layer fills as the page is sent (``web/live.py``)."""
    return Markup(vote_marker(paper_id, base))  # noqa: S704 - our own digits and control bytes, no user text


def install(env: Environment) -> None:
    """Register the filters and globals on the app's template environment."""
    env.filters.update(FILTERS)
    env.globals["live_votes"] = live_votes
