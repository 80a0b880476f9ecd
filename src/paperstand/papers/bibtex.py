"""BibTeX entries for papers, in the ``@misc`` shape arXiv itself suggests. Pure."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from paperstand.papers.links import arxiv_abs_url
from paperstand.papers.models import Paper

# Words skipped when picking the title word of a citation key ("vaswani2017attention").
_STOPWORDS = frozenset({"a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "is", "of", "on",
                        "or", "the", "to", "with"})
# LaTeX specials that break a .bib file when left bare; `$`, `_` and `^` stay, since titles use math.
_SPECIALS = re.compile(r"(?<!\\)([&%#])")
# New-style arXiv ids start with YYMM; that gives the year when no date is stored.
_NEW_STYLE = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", folded)


def _year(paper: Paper) -> int | None:
    when: datetime | None = paper.published_at
    if when is not None:
        return when.year
    match = _NEW_STYLE.match(paper.arxiv_id or "")
    return 2000 + int(match[1]) if match else None


def citation_key(paper: Paper) -> str:
    """A Google-Scholar-style key: first author's last name, year, first significant title word."""
    author = _ascii_word(paper.authors[0].split()[-1]) if paper.authors and paper.authors[0].split() else ""
    words = [_ascii_word(w) for w in paper.title.split()]
    word = next((w for w in words if w and w not in _STOPWORDS), "")
    year = _year(paper)
    return f"{author or 'anon'}{year or ''}{word}"


def _escape(value: str) -> str:
    """Escape LaTeX specials and drop braces that would leave the field unbalanced."""
    value = _SPECIALS.sub(r"\\\1", value)
    depth = 0
    for ch in value:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            break
    return value if depth == 0 else value.replace("{", "").replace("}", "")


def bibtex(paper: Paper, *, key: str | None = None, extra: tuple[tuple[str, str], ...] = ()) -> str:
    """The BibTeX ``@misc`` entry of a paper; without an arXiv id only title, authors, year and a note.

    ``key`` replaces the citation key (a file of many entries needs unique ones); ``extra`` fields
    (a DOI, a reader's ``annote``) follow the others, escaped the same way.
    """
    year = _year(paper)
    fields: list[tuple[str, str]] = [("title", paper.title)]
    if paper.authors:
        fields.append(("author", " and ".join(paper.authors)))
    if year is not None:
        fields.append(("year", str(year)))
    url = arxiv_abs_url(paper)
    if url is not None and paper.arxiv_id:  # only a real arXiv id has a URL
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", paper.primary_category))
        fields.append(("url", url))
    else:
        fields.append(("note", paper.journal_ref or "Preprint"))
    fields += list(extra)
    # URLs stay as they are: `%` and `#` are part of them, not LaTeX.
    body = ",\n".join(f"  {name} = {{{value if name == 'url' else _escape(value)}}}"
                       for name, value in fields)
    return f"@misc{{{key or citation_key(paper)},\n{body}\n}}"
