"""The search query language, parsed once and the same for every engine.

    graph neural "message passing" author:"Yoshua Bengio" cat:cs.LG from:2024-01 to:2024-06-30 -survey

Bare words rank (any may match, more and rarer matches rank higher); quoted phrases, ``author:``,
``cat:``/``category:`` and dates filter; ``-word`` and ``-"a phrase"`` exclude. A ``name:value`` whose
name is not a filter (``arXiv:2403.01234``, ``BERT:``) is ordinary text.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

# Words a ranked OR-match would find in nearly every paper: dropped from ``terms`` (kept in ``text``
# for semantic search) so a question ("how do transformers ...") ranks on its content words.
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "how", "in",
    "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "which",
    "while", "who", "why", "will", "with", "we", "our", "us", "you", "your",
})
# Bounds the work one query can ask of an engine; words past these are ignored.
MAX_TERMS = 32
MAX_FILTERS = 16

_TOKEN = re.compile(r'(-?)(?:([A-Za-z]+):)?(?:"([^"]*)"?|(\S*))')
_WORD = re.compile(r"\w+(?:[-'.]\w+)*")
_CATEGORY = re.compile(r"^([a-z]+(?:-[a-z]+)?)(?:\.([a-z]+(?:-[a-z]+)*))?$", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
FIELDS = {"author": "author", "au": "author", "cat": "category", "category": "category",
          "from": "from", "since": "from", "to": "to", "until": "to", "year": "year"}


class SearchSyntaxError(ValueError):
    """A filter whose value cannot be understood; the message says which and why."""


@dataclass(frozen=True)
class ParsedQuery:
    """What a query asks for; engines turn it into their own query objects."""

    terms: tuple[str, ...] = ()        # ranked words, lower-case, any may match
    phrases: tuple[str, ...] = ()      # required runs of adjacent words, lower-case
    excluded: tuple[str, ...] = ()     # words or phrases that must not appear
    authors: tuple[str, ...] = ()      # each must match one author's name (all given words, adjacent)
    categories: tuple[str, ...] = ()   # at least one must be among the paper's categories
    date_from: date | None = None      # inclusive, on the publication date
    date_to: date | None = None        # inclusive
    text: str = ""                     # the free text (words and phrases, no filters) for semantic search
    stopwords: tuple[str, ...] = field(default=(), compare=False)  # dropped words, for highlighting

    @property
    def has_text(self) -> bool:
        """Whether there is anything to rank by (otherwise only filters apply)."""
        return bool(self.terms or self.phrases)

    @property
    def is_empty(self) -> bool:
        """True when the query neither ranks nor filters."""
        return not (self.has_text or self.authors or self.categories or self.date_from or self.date_to)


def words(text: str) -> list[str]:
    """The lower-case words of ``text`` as the engines see them (punctuation between words splits)."""
    return [w for w in _WORD.findall(text.lower()) if w.strip("_")]


def _parse_date(value: str, name: str, end: bool) -> date:
    m = _DATE.match(value)
    if not m:
        raise SearchSyntaxError(f"search: {name}:{value} is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)")
    year, month, day = int(m[1]), int(m[2] or (12 if end else 1)), m[3]
    try:
        last = calendar.monthrange(year, month)[1] if 1 <= month <= 12 and year >= 1 else 0
        return date(year, month, int(day) if day else (last if end else 1))
    except ValueError:
        raise SearchSyntaxError(f"search: {name}:{value} is not a real date") from None


def canonical_category(value: str) -> str:
    """``cs.cl`` -> ``cs.CL``: archive in lower case, two-letter subject classes in upper case."""
    m = _CATEGORY.match(value)
    if not m:
        raise SearchSyntaxError(f"search: cat:{value} is not an arXiv category (like cs.CL or hep-th)")
    archive, subject = m[1].lower(), m[2]
    if subject is None:
        return archive
    return f"{archive}.{subject.upper() if len(subject) == 2 else subject.lower()}"


class _Builder:
    """Collects the parts of a query while its tokens are read."""

    def __init__(self) -> None:
        self.terms: list[str] = []
        self.phrases: list[str] = []
        self.excluded: list[str] = []
        self.authors: list[str] = []
        self.categories: list[str] = []
        self.text: list[str] = []
        self.date_from: date | None = None
        self.date_to: date | None = None

    def add_text(self, value: str, quoted: bool, negated: bool) -> None:
        ws = words(value)
        if not ws:
            return
        if negated:
            self.excluded.append(" ".join(ws))
        elif quoted and len(ws) > 1:
            self.phrases.append(" ".join(ws))
            self.text.append(f'"{value.strip()}"')
        else:
            self.terms.extend(ws)
            self.text.append(value)

    def add_filter(self, name: str, value: str, raw_name: str) -> None:
        if not value.strip():
            raise SearchSyntaxError(f"search: {raw_name}: needs a value")
        if name == "author":
            name_words = words(value)
            if not name_words:
                raise SearchSyntaxError(f"search: author:{value} has no letters to match")
            self.authors.append(" ".join(name_words))
        elif name == "category":
            self.categories.extend(canonical_category(v) for v in value.split(",") if v)
        elif name == "year":
            self.date_from = _parse_date(value, raw_name, end=False)
            self.date_to = _parse_date(value, raw_name, end=True)
        elif name == "from":
            self.date_from = _parse_date(value, raw_name, end=False)
        else:
            self.date_to = _parse_date(value, raw_name, end=True)

    def build(self) -> ParsedQuery:
        kept = [t for t in self.terms if t not in STOPWORDS] or (self.terms if not self.phrases else [])
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise SearchSyntaxError(f"search: the date range ends ({self.date_to}) before it starts "
                                    f"({self.date_from})")
        return ParsedQuery(
            terms=tuple(dict.fromkeys(kept))[:MAX_TERMS], phrases=tuple(dict.fromkeys(self.phrases))[:MAX_TERMS],
            excluded=tuple(dict.fromkeys(self.excluded))[:MAX_FILTERS],
            authors=tuple(dict.fromkeys(self.authors))[:MAX_FILTERS],
            categories=tuple(dict.fromkeys(self.categories))[:MAX_FILTERS],
            date_from=self.date_from, date_to=self.date_to, text=" ".join(self.text),
            stopwords=tuple(sorted({t for t in self.terms if t in STOPWORDS})))


def parse_query(query: str) -> ParsedQuery:
    """Parse the search box's text; raises ``SearchSyntaxError`` for a filter with a bad value."""
    builder = _Builder()
    for m in _TOKEN.finditer(query):
        if not m[0]:
            continue
        negated, raw_name, quoted, bare = m[1] == "-", m[2], m[3], m[4]
        value = quoted if quoted is not None else bare or ""
        name = FIELDS.get(raw_name.lower()) if raw_name else None
        if name is None:
            # Not a filter: the whole token is text ("arXiv:2403.01234", "BERT:").
            prefix = f"{raw_name}:" if raw_name else ""
            builder.add_text(prefix + value, quoted is not None, negated)
        elif negated:
            raise SearchSyntaxError(f"search: -{raw_name}: filters cannot be negated; use -word to exclude text")
        else:
            builder.add_filter(name, value, raw_name or name)
    return builder.build()


def compose(q: str, category: str, author: str, date_from: str, date_to: str) -> str:
    """The query text with separate filter fields (a form's, the API's parameters) folded in, in the query language."""
    parts = [q.strip()]
    if category.strip():
        parts.append(f"cat:{category.strip()}")
    if author.strip():
        parts.append(f'author:"{author.strip()}"' if " " in author.strip() else f"author:{author.strip()}")
    if date_from.strip():
        parts.append(f"from:{date_from.strip()}")
    if date_to.strip():
        parts.append(f"to:{date_to.strip()}")
    return " ".join(p for p in parts if p)
