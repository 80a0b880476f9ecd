"""JSON from outside is measured before it is parsed: no depth ever reaches the interpreter's limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperstand import jsontext


def test_depth_counts_brackets_outside_strings() -> None:
    assert jsontext.nesting_depth(b"") == 0
    assert jsontext.nesting_depth(b'{"a": [1, {"b": []}]}') == 4
    assert jsontext.nesting_depth('["[[[[", "\\"]]]"]') == 1
    assert jsontext.nesting_depth(b"[" * 5000, stop_at=101) == 101


def test_documents_deeper_than_the_limit_are_refused_before_parsing() -> None:
    deep = "[" * 2000 + "]" * 2000
    with pytest.raises(jsontext.TooDeep, match="more than 100 levels"):
        jsontext.loads(deep)
    at_limit = "[" * jsontext.MAX_DEPTH + "]" * jsontext.MAX_DEPTH
    assert isinstance(jsontext.loads(at_limit), list)
    assert isinstance(jsontext.TooDeep("x"), ValueError)  # callers that catch ValueError refuse it too


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                           max_leaves=20)


@given(json_values)
def test_loads_agrees_with_the_standard_parser(value: object) -> None:
    import json

    text = json.dumps(value)
    assert jsontext.loads(text) == json.loads(text)
    assert jsontext.loads(text.encode()) == json.loads(text)
