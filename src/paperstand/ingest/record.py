"""The one normalized record every parser produces, and the helpers they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

# Identifier helpers live with papers; the parsers import them from here as well.
from paperstand.papers.ids import ARXIV_ID_RE, local_key_for, split_arxiv_id, title_key

__all__ = ["ARXIV_ID_RE", "Notice", "PaperRecord", "ParseItem", "Rejection", "clean_text", "iso_utc",
           "local_key_for", "split_arxiv_id", "title_key", "withdrawn_from_comments"]


@dataclass(slots=True)
class PaperRecord:
    """A paper as one source describes it; ``None`` means "this source does not say"."""

    source: str
    title: str
    arxiv_id: str | None = None
    version: int | None = None
    authors: list[str] = field(default_factory=list)
    abstract: str | None = None
    categories: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    # "day" when the source gave a date, "month" when it came from the arXiv id (see papers.published).
    published_precision: str | None = None
    updated_at: datetime | None = None
    # [(version number, created timestamp or None)], oldest first.
    versions: list[tuple[int, datetime | None]] = field(default_factory=list)
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    license: str | None = None
    pdf_url: str | None = None
    github_repo: str | None = None
    project_page: str | None = None
    withdrawn: bool | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    organization: dict[str, object] | None = None
    # Hugging Face's own ids for the paper's discussion thread and social thumbnail image.
    discussion_id: str | None = None
    thumbnail: str | None = None
    # External signals, when the source carries them.
    hf_upvotes: int | None = None
    hf_comments: int | None = None
    github_stars: int | None = None
    # Featuring ("papers of the day"), when the source carries it.
    featured_on: date | None = None
    submitted_by: str | None = None
    submitted_by_name: str | None = None
    # Order among the papers featured that day (1 = first); set by the import run.
    position: int | None = None
    # Where in the input this record was (for messages): "record 12", "line 40".
    location: str = ""


@dataclass
class Rejection:
    """Input that could not become a record: where it was and why."""

    location: str
    reason: str


@dataclass
class Notice:
    """Something worth telling the user that is not an error (e.g. an empty OAI-PMH result)."""

    location: str
    message: str


ParseItem = PaperRecord | Rejection | Notice

# Longest text clean_text collapses (characters); longer values are returned as they are.
MAX_COLLAPSE = 1_000_000


def clean_text(value: str | None) -> str | None:
    """Collapse runs of whitespace (arXiv wraps lines and indents them); ``None`` stays ``None``."""
    if value is None:
        return None
    if len(value) > MAX_COLLAPSE:
        # Far over every field's cap (see ingest.clean): splitting it into words would take many times
        # its size in memory only for the record to be rejected, so it is left whole for the cap to refuse.
        return value
    # str.split() is several times faster than a regex on long abstracts.
    return " ".join(value.split()) or None


def withdrawn_from_comments(comments: str | None) -> bool:
    """arXiv marks withdrawals in the comments field ("This paper has been withdrawn ...")."""
    if not comments:
        return False
    low = comments.lower()
    return "has been withdrawn" in low or low.startswith("withdrawn")


def iso_utc(value: object) -> datetime | None:
    """An ISO 8601 timestamp ("2026-07-28T00:00:00.000Z", zone optional) as aware UTC; ``None`` if not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
