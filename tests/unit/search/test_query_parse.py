"""The search query language: words, phrases, exclusions and filters; bad filters say why."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperstand.search.query import ParsedQuery, SearchSyntaxError, canonical_category, compose, parse_query


def test_bare_words_lower_case_without_stopwords() -> None:
    """Bare words rank; stopwords are dropped from the ranking but kept in the free text."""
    q = parse_query("How do Transformers handle long context?")
    assert q.terms == ("transformers", "handle", "long", "context")
    assert q.text == "How do Transformers handle long context?"
    assert q.has_text and not q.phrases


def test_only_stopwords_are_kept() -> None:
    """A query made only of common words still searches for them."""
    assert parse_query("the what").terms == ("the", "what")


def test_phrases_and_exclusions() -> None:
    """Quoted runs are phrases; -word and -"a phrase" exclude."""
    q = parse_query('"Graph Neural" networks -survey -"large language"')
    assert q.phrases == ("graph neural",)
    assert q.terms == ("networks",)
    assert q.excluded == ("survey", "large language")
    assert q.text == '"Graph Neural" networks'


def test_single_quoted_word_is_a_term_and_unterminated_quote_is_a_phrase() -> None:
    """A quoted single word is just a word; a missing closing quote ends at the end of the query."""
    assert parse_query('"graph"').terms == ("graph",)
    assert parse_query('"message passing').phrases == ("message passing",)


def test_author_filters() -> None:
    """author:name and author:"Full Name" (au: for short) filter by author."""
    q = parse_query('author:hinton au:"Yann LeCun" vision')
    assert q.authors == ("hinton", "yann lecun")
    assert q.terms == ("vision",)
    assert q.text == "vision"


def test_categories_canonical() -> None:
    """cat: and category: accept several, comma-separated or repeated, in arXiv's spelling."""
    q = parse_query("cat:cs.cl,stat.ml category:hep-th cat:cond-mat.stat-mech")
    assert q.categories == ("cs.CL", "stat.ML", "hep-th", "cond-mat.stat-mech")
    assert canonical_category("CS.LG") == "cs.LG"
    assert not q.has_text and not q.is_empty


def test_dates() -> None:
    """from:/to: take a day, a month or a year; year: is a whole year; the range is inclusive."""
    q = parse_query("from:2024-02 to:2024-02")
    assert (q.date_from, q.date_to) == (date(2024, 2, 1), date(2024, 2, 29))
    q = parse_query("year:2023")
    assert (q.date_from, q.date_to) == (date(2023, 1, 1), date(2023, 12, 31))
    q = parse_query("since:2024-03-05")
    assert (q.date_from, q.date_to) == (date(2024, 3, 5), None)


def test_unknown_prefix_is_text() -> None:
    """A name:value that is no filter is searched as text."""
    q = parse_query("arXiv:2403.01234 BERT:")
    assert q.terms == ("arxiv", "2403.01234", "bert")


@pytest.mark.parametrize(("query", "message"), [
    ("from:2024-13-01", "from:2024-13-01 is not a real date"),
    ("to:yesterday", "to:yesterday is not a date (use YYYY-MM-DD, YYYY-MM or YYYY)"),
    ("year:24", "year:24 is not a date"),
    ("from:2024-02-30", "is not a real date"),
    ("from:2024-05-01 to:2024-04-01", "the date range ends (2024-04-01) before it starts (2024-05-01)"),
    ("cat:cs/LG", "cat:cs/LG is not an arXiv category"),
    ("author:", "author: needs a value"),
    ('author:"  "', "author: needs a value"),
    ("author:!!", "author:!! has no letters to match"),
    ("-cat:cs.LG", "filters cannot be negated"),
])
def test_bad_filters_say_why(query: str, message: str) -> None:
    """Every bad filter raises SearchSyntaxError naming the filter and the reason."""
    with pytest.raises(SearchSyntaxError) as err:
        parse_query(query)
    assert message in str(err.value)
    assert str(err.value).startswith("search: ")


def test_empty() -> None:
    """An empty or punctuation-only query asks for nothing."""
    assert parse_query("").is_empty
    assert parse_query('  " - ? ').is_empty
    assert parse_query("") == ParsedQuery()


def test_limits() -> None:
    """Very long queries are cut to a bounded number of words."""
    q = parse_query(" ".join(f"w{i}" for i in range(500)))
    assert len(q.terms) == 32


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*'abcXYZ019 "-:.,\'é_!\\\t\n中', "author:", "cat:", "from:", "year:", "to:",
                                 "2024", "-01"])).map("".join))
def test_parser_never_crashes(query: str) -> None:
    """Any text parses or raises SearchSyntaxError; parts are lower-case words."""
    try:
        q = parse_query(query)
    except SearchSyntaxError as exc:
        assert str(exc).startswith("search: ")
        return
    for part in (*q.terms, *q.phrases, *q.excluded, *q.authors):
        assert part and part == part.lower()


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parser_never_crashes_on_any_text(query: str) -> None:
    """Arbitrary unicode parses or raises SearchSyntaxError."""
    with contextlib.suppress(SearchSyntaxError):
        parse_query(query)


def test_compose_folds_filter_fields_into_the_query_language() -> None:
    assert compose(" graphs ", " cs.LG ", "Ada Lovelace", "2024-01-01", "") == (
        'graphs cat:cs.LG author:"Ada Lovelace" from:2024-01-01')
    assert compose("", "", "Turing", "", "2024-06") == "author:Turing to:2024-06"
    assert compose("  ", " ", "", "", "") == ""
    assert parse_query(compose("x", "cs", "Ada Lovelace", "", "")).authors == ("ada lovelace",)
