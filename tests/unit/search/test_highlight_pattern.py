"""The highlighter's scan: its first-letter look-ahead only speeds it up, it never changes what matches."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from paperstand.search.highlight import _candidates, _matches, highlight, light_stem, snippet
from paperstand.search.query import words

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


ASCII_WORDS = ["graph", "Graphs", "GRAPH-based", "subgraph", "don't", "e.g.", "gpt-4", "GPT-4o", "model's",
               "models", "co.train", "train", "training", "_x", "x1", "1.5", "k-NN", "nn", "U.S.", "state-of-the-art"]


def _plain_matches(text: str, stems: frozenset[str]) -> list[tuple[int, int]]:
    return [m.span() for m in _plain(stems).finditer(text) if light_stem(m.group()) in stems]


@given(st.lists(st.sampled_from(ASCII_WORDS) | st.text(alphabet="abgnrtx-'._ 4", max_size=6), max_size=40),
       st.lists(st.sampled_from(" ,;()-/\n"), min_size=1, max_size=40),
       st.sets(st.sampled_from(ASCII_WORDS) | st.text(alphabet="abgnrtx-'.4", min_size=1, max_size=4),
               min_size=1, max_size=4))
def test_ascii_scan_finds_what_the_pattern_finds(text_words: list[str], gaps: list[str], query: set[str]) -> None:
    # The str.find scan that serves ASCII text must accept and reject exactly the pattern's candidates,
    # overlapping stems ("graph" and "subgraph"), words glued by ' . - and a rejected candidate's shadow included.
    text = "".join(w + gaps[i % len(gaps)] for i, w in enumerate(text_words))
    stems = frozenset(s for w in query for s in [light_stem(p) for p in words(w)])
    if not stems:
        return
    assert _matches(text, stems) == _plain_matches(text, stems)


@given(st.lists(st.sampled_from(WORDS + ASCII_WORDS) | st.text(max_size=6), max_size=30),
       st.sets(st.sampled_from(WORDS + ASCII_WORDS), min_size=1, max_size=4))
def test_matches_agree_with_the_pattern_on_any_text(text_words: list[str], query_words: set[str]) -> None:
    text = " ".join(text_words)
    stems = frozenset(light_stem(p) for w in query_words for p in words(w))
    assert _matches(text, stems) == _plain_matches(text, stems)
