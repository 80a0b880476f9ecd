"""The highlighter's scan: its first-letter look-ahead only speeds it up, it never changes what matches."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from paperstand.search.highlight import _candidates, highlight, light_stem, snippet

WORDS = ["Graph", "graphs", "neural", "Networks", "Über", "straße", "İstanbul", "model", "ßeta", "x"]


def _plain(stems: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\w*(?:['.]\w+)*", re.IGNORECASE)


@given(st.lists(st.sampled_from(WORDS) | st.text(min_size=0, max_size=6), max_size=40),
       st.sets(st.sampled_from(WORDS), min_size=1, max_size=4))
def test_lookahead_finds_the_same_spans(text_words: list[str], query_words: set[str]) -> None:
    text = " ".join(text_words)
    stems = frozenset(light_stem(w) for w in query_words)
    pattern = _candidates(stems)
    assert pattern is not None
    assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in _plain(stems).finditer(text)]


def test_marks_in_title_and_snippet() -> None:
    stems = frozenset({light_stem("graph"), light_stem("Über")})
    assert highlight("Graphs über alles", stems) == "<mark>Graphs</mark> <mark>über</mark> alles"
    assert "<mark>graph</mark>" in snippet("A graph & more " * 40, stems)
