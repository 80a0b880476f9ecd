"""Pure serialisation helpers of the Hugging Face-compatible API."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta, timezone

from paperstand.api.serialize import hf_time, highlight, user
from paperstand.search.highlight import highlight as page_highlight
from paperstand.search.highlight import match_stems
from paperstand.search.query import parse_query


def test_hf_time_matches_the_real_format() -> None:
    assert hf_time(date(2026, 7, 28)) == "2026-07-28T00:00:00.000Z"
    assert hf_time(datetime(2020, 6, 19, 17, 24, 44, 123456, tzinfo=UTC)) == "2020-06-19T17:24:44.123Z"
    east = timezone(timedelta(hours=2))
    assert hf_time(datetime(2025, 1, 1, 1, 0, tzinfo=east)) == "2024-12-31T23:00:00.000Z"


def test_user_sends_login_as_user_and_name() -> None:
    assert user("ada", "Ada L.") == {"fullname": "Ada L.", "user": "ada", "name": "ada", "type": "user"}
    assert user("ada", None) == {"fullname": "ada", "user": "ada", "name": "ada", "type": "user"}
    assert user(None, "Ada L.") == {"fullname": "Ada L.", "type": "user"}
    assert user(None, None) is None


def test_highlight_marks_every_word_any_case_and_keeps_the_text() -> None:
    stems = match_stems(parse_query("diffusion MODELS"))
    runs = highlight("Denoising Diffusion Models diffuse", stems)
    assert runs == [{"type": "text", "text": "Denoising "}, {"type": "highlight", "text": "Diffusion"},
                    {"type": "text", "text": " "}, {"type": "highlight", "text": "Models"},
                    {"type": "text", "text": " diffuse"}]
    assert highlight("Plain", frozenset()) == [{"type": "text", "text": "Plain"}]
    assert highlight("", stems) == []
    # Whole words, as the search page marks them: "c" is not marked inside "abc", its own word is.
    assert highlight("abc (c)", match_stems(parse_query("(c)"))) == [
        {"type": "text", "text": "abc ("}, {"type": "highlight", "text": "c"}, {"type": "text", "text": ")"}]


def test_highlight_marks_what_the_search_page_marks() -> None:
    stems = match_stems(parse_query("graph network"))
    title = "Graphs & Networks <b>of</b> subgraphs"
    page = "".join(f"<mark>{html.escape(r['text'])}</mark>" if r["type"] == "highlight" else html.escape(r["text"])
                   for r in highlight(title, stems))
    assert page == page_highlight(title, stems)
    assert "".join(r["text"] for r in highlight(title, stems)) == title
