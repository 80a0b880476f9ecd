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

# Characters of abstract shown around the place with the most matches.
SNIPPET_CHARS = 320
# Characters of context kept before the first match of the window.
LEAD_CHARS = 40
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


@lru_cache(maxsize=256)
def _candidates(stems: frozenset[str]) -> re.Pattern[str] | None:
    """Words starting with a stem: one regular-expression pass finds them, ``light_stem`` confirms."""
    if not stems:
        return None
    alternatives = "|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True))
    # The look-ahead on the stems' first letters lets the scan reject most positions with one class test
    # instead of trying every alternative there (1.7x faster on abstracts); it never rejects a match.
    firsts = re.escape("".join(sorted({c for s in stems if s for c in (s[0].lower(), s[0].upper())})))
    return re.compile(rf"\b(?=[{firsts}])(?:{alternatives})\w*(?:['.]\w+)*", re.IGNORECASE)


# What the scan's pattern adds after a stem: the rest of the word, and more of it after ' or . ("don't", "e.g").
_WORD_REST = re.compile(r"\w*(?:['.]\w+)*")


@lru_cache(maxsize=256)
def _ascii_stems(stems: frozenset[str]) -> tuple[str, ...] | None:
    """The stems, longest first, when all are lower-case ASCII words (then :func:`_ascii_matches` may scan)."""
    plain = all(s and s.isascii() and s == s.lower() and (s[0].isalnum() or s[0] == "_") for s in stems)
    return tuple(sorted(stems, key=len, reverse=True)) if plain else None


def _ascii_matches(text: str, ordered: tuple[str, ...], stems: frozenset[str]) -> list[tuple[int, int]]:
    """The spans :func:`_candidates`' pattern finds in an ASCII ``text``, found with ``str.find`` instead.

    On ASCII text and stems, matching case-insensitively is comparing the lower-cased text, and a word
    boundary before a stem (which starts with a word character) is a non-word character or the start.
    Every candidate takes the longest stem found there, as the pattern's alternation does; candidates
    inside an earlier candidate's span are skipped, as ``finditer`` does (even when that one is rejected).
    """
    low = text.lower()
    starts: dict[int, int] = {}
    for stem in ordered:  # longest first: the first stem found at a place is the one the pattern takes
        i = low.find(stem)
        while i >= 0:
            if i not in starts and (i == 0 or not (low[i - 1].isalnum() or low[i - 1] == "_")):
                starts[i] = len(stem)
            i = low.find(stem, i + 1)
    spans, last = [], 0
    for i in sorted(starts):
        if i < last:
            continue
        last = _WORD_REST.match(text, i + starts[i]).end()  # type: ignore[union-attr]  # always matches
        if light_stem(text[i:last]) in stems:
            spans.append((i, last))
    return spans


def _matches(text: str, stems: frozenset[str]) -> list[tuple[int, int]]:
    ordered = _ascii_stems(stems)
    if ordered is not None and text.isascii():  # almost every title and abstract: 5-10x faster than the pattern
        return _ascii_matches(text, ordered, stems)
    pattern = _candidates(stems)
    if pattern is None:
        return []
    return [m.span() for m in pattern.finditer(text) if light_stem(m.group()) in stems]


def _marked(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    end = len(text) if end is None else end
    out, last = [], start
    for a, b in spans:
        if a >= start and b <= end:
            out += [html.escape(text[last:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
            last = b
    out.append(html.escape(text[last:end]))
    return "".join(out)


def runs(text: str, stems: frozenset[str]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) runs, not escaped: for clients that mark the matches themselves."""
    out: list[tuple[str, bool]] = []
    last = 0
    for a, b in _matches(text, stems):
        if a > last:
            out.append((text[last:a], False))
        out.append((text[a:b], True))
        last = b
    if last < len(text):
        out.append((text[last:], False))
    return out


def highlight(text: str, stems: frozenset[str]) -> str:
    """All of ``text``, escaped, with matching words in ``<mark>``."""
    return _marked(text, _matches(text, stems))


def snippet(text: str, stems: frozenset[str], size: int = SNIPPET_CHARS) -> str:
    """About ``size`` characters of ``text`` around its densest matches, escaped and marked; ellipses where cut."""
    spans = _matches(text, stems)
    if len(text) <= size:
        return _marked(text, spans)
    best, first = 0, 0
    for i, (a, _) in enumerate(spans):  # the window starting at match i that holds the most matches
        count = sum(1 for s, e in spans[i:] if e <= a + size)
        if count > best:
            best, first = count, i
    start = max(0, spans[first][0] - LEAD_CHARS) if spans else 0
    start = 0 if start == 0 else _word_start(text, start)
    end = min(len(text), start + size)
    end = len(text) if end == len(text) else _word_end(text, end)
    body = _marked(text, spans, start, end)
    return ("… " if start else "") + body + (" …" if end < len(text) else "")


def _word_start(text: str, i: int) -> int:
    """The start of the first whole word at or after ``i``."""
    while i < len(text) and not text[i - 1].isspace():
        i += 1
    return i


def _word_end(text: str, i: int) -> int:
    """The end of the last whole word before ``i``."""
    while i > 0 and not text[i].isspace():
        i -= 1
    return i
