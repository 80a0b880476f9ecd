"""Paper identifiers: arXiv ids found in any text, title keys, and the local keys of papers without one. Pure."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
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


# What a submission box takes, as its error message names it.
ACCEPTED_REFERENCES = ("an arXiv id (2503.01234, 2503.01234v2, arXiv:2503.01234 or an old-style id such as "
                       "hep-th/9901001) or an arxiv.org link (https://arxiv.org/abs/2503.01234, "
                       "https://arxiv.org/pdf/2503.01234v2.pdf)")
_ID_TEXT = r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7})(?:v(?P<v>[1-9]\d{0,3}))?"
_BARE_REF = re.compile(rf"(?:arxiv:\s*)?{_ID_TEXT}", re.IGNORECASE)
# Only arxiv.org addresses: the id is read out of the link, the link itself is never fetched.
_LINK_REF = re.compile(rf"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/{_ID_TEXT}(?:\.pdf)?/?"
                       r"(?:[?#][^\s]*)?", re.IGNORECASE)
# New-style numbers grew from four digits to five in January 2015 (1501.00001).
_FIVE_DIGITS_FROM = 1501
# Old-style ids ran from August 1991 until new-style ones replaced them in April 2007.
_OLD_STYLE_FROM, _NEW_STYLE_FROM = date(1991, 8, 1), date(2007, 4, 1)


def parse_arxiv_reference(text: str) -> tuple[str, int | None] | None:
    """The (id, version) a person typed or pasted: a bare id, ``arXiv:`` id or arxiv.org link; else ``None``.

    Stricter than ``split_arxiv_id``: the whole text must be one of those forms, and the id must name a
    real month (``2513.00001`` does not), so that a typo is answered with the accepted forms.
    """
    from paperstand.papers.published import id_month  # published.py is pure and imports nothing from here

    text = text.strip()
    match = _BARE_REF.fullmatch(text) or _LINK_REF.fullmatch(text)
    if match is None:
        return None
    arxiv_id, version = match.group("id"), match.group("v")
    old_style = "/" in arxiv_id
    if old_style:
        # "math.AG/0601001" is arXiv's math/0601001: the subject class was never part of the id.
        archive, number = arxiv_id.split("/")
        arxiv_id = f"{archive.split('.')[0].lower()}/{number}"
    elif (int(arxiv_id[:4]) >= _FIVE_DIGITS_FROM) != (len(arxiv_id) == 10):
        return None
    month = id_month(arxiv_id)
    first, last = (_OLD_STYLE_FROM, _NEW_STYLE_FROM) if old_style else (_NEW_STYLE_FROM, date.max)
    if month is None or not first <= month < last:
        return None
    return arxiv_id, int(version) if version else None
