"""Paper identifiers: arXiv ids found in any text, title keys, and the local keys of papers without one. Pure."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

# New-style ids (0704.0001 … 2607.12345) and old-style ids (hep-th/9901001), optional version.
ARXIV_ID_RE = re.compile(
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?", re.IGNORECASE
)
# A paper known only by its title gets a key with this prefix; it never names an arXiv paper.
LOCAL_PREFIX = "ps-"


@lru_cache(maxsize=4096)
def title_key(title: str) -> str:
    """A stable hash of a title that ignores case, accents, punctuation and spacing."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", folded)
    return hashlib.sha1(" ".join(words).encode()).hexdigest()[:24]


def local_key_for(title: str) -> str:
    """Public key for a paper with no arXiv id yet, derived from its title so it is stable."""
    return LOCAL_PREFIX + title_key(title)[:12]


def is_local_key(text: str) -> bool:
    """True for a ``ps-…`` key (a paper this site knows without an arXiv id)."""
    return text.startswith(LOCAL_PREFIX)


def split_arxiv_id(text: str) -> tuple[str, int | None] | None:
    """Find an arXiv id in an id, abs/pdf URL or ``oai:arXiv.org:...`` string; return (id, version)."""
    match = ARXIV_ID_RE.search(text)
    if not match:
        return None
    version = int(match.group("v")) if match.group("v") else None
    return match.group("id"), version


def is_arxiv_id(text: str | None) -> bool:
    """True when ``text`` is exactly an arXiv id (no version, URL or local key around it)."""
    if not text or is_local_key(text):
        return False
    match = ARXIV_ID_RE.fullmatch(text)
    return match is not None and match.group("v") is None
