"""The ingest normaliser: exact outputs for each rule, the caps, and the hook every import goes through."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperstand.ingest.arxiv_jsonl import parse as parse_jsonl
from paperstand.ingest.clean import (
    FIELD_LIMITS,
    MAX_LINE_BYTES,
    bounded_lines,
    clean_chars,
    clean_items,
    clean_record,
)
from paperstand.ingest.record import PaperRecord, Rejection, clean_text


@pytest.mark.parametrize(("raw", "clean"), [
    ("plain", "plain"),
    ("a\x00b", "ab"),
    ("tab\tand\nnewline", "tab\tand\nnewline"),
    ("crlf\r\nline\rend", "crlf\nline\nend"),
    ("bell\x07 esc\x1b del\x7f c1\x85\x9f", "bell esc del c1"),
    ("lone \ud800 surrogate \udfff", "lone \ufffd surrogate \ufffd"),
    ("not chars \ufffe\uffff", "not chars "),
    ("cafe\u0301", "caf\u00e9"),  # NFD → NFC
    ("emoji \U0001f600 and \u00e9", "emoji \U0001f600 and \u00e9"),
])
def test_clean_chars(raw: str, clean: str) -> None:
    assert clean_chars(raw) == clean


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_clean_chars_is_idempotent_and_encodable(text: str) -> None:
    once = clean_chars(text)
    assert clean_chars(once) == once
    once.encode("utf-8")  # no lone surrogate survives
    assert not any(ord(c) < 32 and c not in "\t\n" for c in once)


def _record(**fields: object) -> PaperRecord:
    return PaperRecord(source="test", title=str(fields.pop("title", "A title")), location="line 2",
                       **fields)  # type: ignore[arg-type]


def test_every_text_field_is_cleaned() -> None:
    rec = clean_record(_record(title="T\x00itle", abstract="ab\x01stract", authors=["A\x00da", "\x00", "Bo"],
                               categories=["cs.\x1bLG"], comments="c\x00", submitted_by="u\x00",
                               organization={"name": "o\x00rg", "tags": ["x\x01"]}))
    assert isinstance(rec, PaperRecord)
    assert (rec.title, rec.abstract, rec.authors, rec.categories) == ("Title", "abstract", ["Ada", "Bo"], ["cs.LG"])
    assert (rec.comments, rec.submitted_by, rec.organization) == ("c", "u", {"name": "org", "tags": ["x"]})


def test_a_title_of_controls_only_is_rejected() -> None:
    assert clean_record(_record(title="\x00\x01")) == Rejection("line 2", "no title (nothing is left of it "
                                                                          "once control characters are removed)")


@pytest.mark.parametrize("field", sorted(FIELD_LIMITS))
def test_a_field_over_its_cap_rejects_the_record_naming_it(field: str) -> None:
    limit = FIELD_LIMITS[field]
    assert isinstance(clean_record(_record(**{field: "x" * limit})), PaperRecord)
    rejected = clean_record(_record(**{field: "x" * (limit + 1)}))
    assert rejected == Rejection("line 2", f"{field} is {limit + 1:,} characters, over the {limit:,} allowed")


def test_list_caps() -> None:
    many = clean_record(_record(authors=["A"] * 10_001))
    assert many == Rejection("line 2", "authors has 10,001 entries, over the 10,000 allowed")
    long_name = clean_record(_record(authors=["ok", "x" * 501]))
    assert long_name == Rejection("line 2", "authors entry 2 is 501 characters, over the 500 allowed")


def test_clean_items_passes_other_items_on() -> None:
    items = [Rejection("line 1", "bad"), _record(title="\x00")]
    assert [type(i) for i in clean_items(items)] == [Rejection, Rejection]


def test_clean_text_leaves_huge_values_whole() -> None:
    huge = "word " * 300_000
    assert clean_text(huge) is huge


def test_bounded_lines() -> None:
    stream = io.BufferedReader(io.BytesIO(b"short\n" + b"x" * 50 + b"\nlast"))  # type: ignore[arg-type]
    assert list(bounded_lines(stream, limit=10)) == [b"short\n", None, b"last"]
    exact = io.BufferedReader(io.BytesIO(b"y" * 10 + b"\n"))  # type: ignore[arg-type]
    assert list(bounded_lines(exact, limit=10)) == [b"y" * 10 + b"\n"]


def test_a_json_line_over_the_limit_is_rejected_without_loading_it() -> None:
    good = b'{"id": "2401.00001", "title": "Fine", "summary": "ok"}\n'
    huge = b'{"id": "2401.00002", "title": "Big", "summary": "' + b"a" * MAX_LINE_BYTES + b'"}\n'
    items = list(parse_jsonl(io.BufferedReader(io.BytesIO(good + huge + good)), "f.jsonl"))  # type: ignore[arg-type]
    assert [type(i).__name__ for i in items] == ["PaperRecord", "Rejection", "PaperRecord"]
    assert items[1] == Rejection("line 2", f"longer than {MAX_LINE_BYTES:,} bytes; no record is that long")
