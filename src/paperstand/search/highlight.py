"""Highlighted titles and abstract snippets, safe to put in HTML as they are.

One highlighter for every engine, so a result looks the same whichever engine found it: the text is
HTML-escaped piece by piece and only the matched words are wrapped in ``<mark>``. Words match the
query's words after a light suffix strip, a close enough stand-in for the engines' stemmers.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from paperstand.search.query import ParsedQuery, words

# Words of context around the best-matching place in an abstract.
SNIPPET_WORDS = 48
# Shown when nothing in the abstract matched (the title or the authors did): its opening words.
_WORD = re.compile(r"\w+(?:['.]\w+)*")
_SUFFIXES = ("ational", "ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ers", "er", "es", "ed",
             "s", "al", "ly")


@lru_cache(maxsize=1 << 16)  # abstracts share their vocabulary: most words are stemmed once per process
def light_stem(word: str) -> str:
    """A crude stem: lower case with one common English suffix removed (``networks`` -> ``network``)."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def match_stems(query: ParsedQuery) -> frozenset[str]:
    """Stems of every word the query searches for (terms, phrases, author names)."""
    parts = [*query.terms, *query.phrases, *query.authors]
    return frozenset(light_stem(w) for part in parts for w in words(part))


def _marked(text: str, stems: frozenset[str]) -> str:
    out, last = [], 0
    for m in _WORD.finditer(text):
        if light_stem(m.group()) in stems:
            out += [html.escape(text[last:m.start()]), "<mark>", html.escape(m.group()), "</mark>"]
            last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def highlight(text: str, stems: frozenset[str]) -> str:
    """All of ``text``, escaped, with matching words in ``<mark>``."""
    return _marked(text, stems)


def snippet(text: str, stems: frozenset[str], size: int = SNIPPET_WORDS) -> str:
    """The ``size``-word window of ``text`` with the most matches, escaped and marked; ellipses where cut."""
    spans = [(m.start(), m.end(), light_stem(m.group()) in stems) for m in _WORD.finditer(text)]
    if len(spans) <= size:
        return _marked(text, stems)
    hits = [1 if hit else 0 for _, _, hit in spans]
    best, best_at, window = sum(hits[:size]), 0, sum(hits[:size])
    for i in range(1, len(spans) - size + 1):
        window += hits[i + size - 1] - hits[i - 1]
        if window > best:
            best, best_at = window, i
    # Start a little before the first match so it has some context.
    start_word = max(0, best_at - 4) if best else 0
    end_word = min(len(spans), start_word + size)
    start = spans[start_word][0] if start_word else 0
    end = spans[end_word - 1][1] if end_word < len(spans) else len(text)
    body = _marked(text[start:end], stems)
    return ("… " if start else "") + body + (" …" if end < len(text) else "")
