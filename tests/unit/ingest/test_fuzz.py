"""Parsers never crash: any bytes, and any corruption of a valid file, give records, notices or rejections."""

from __future__ import annotations

import contextlib
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperstand.ingest.formats import FORMATS, UnknownFormat, detect, parser_for
from paperstand.ingest.record import Notice, PaperRecord, Rejection

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ingest"
SEEDS = {fmt: sorted(FIXTURES.glob(pattern)) for fmt, pattern in {
    "arxiv-atom": "arxiv_atom*.xml", "arxiv-oai": "arxiv_oai*.xml", "arxiv-rss": "arxiv_rss*.xml",
    "hf-daily": "hf_*.json", "arxiv-jsonl": "arxiv_*.jsonl"}.items()}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_all(fmt: str, data: bytes) -> None:
    items = list(parser_for(fmt)(BytesIO(data), "fuzz"))
    assert all(isinstance(i, PaperRecord | Rejection | Notice) for i in items)
    for item in items:
        if isinstance(item, PaperRecord):
            assert item.title and item.title == item.title.strip()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes(fmt: str, data: bytes) -> None:
    """Arbitrary bytes never raise."""
    _parse_all(fmt, data)


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@FUZZ
@given(cut=st.floats(0, 1), flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8))
def test_corrupted_fixtures(fmt: str, cut: float, flips: list[tuple[float, int]]) -> None:
    """Truncating a valid file and overwriting random bytes never raises."""
    for path in SEEDS[fmt]:
        data = bytearray(path.read_bytes())
        for where, value in flips:
            data[int(where * (len(data) - 1))] = value
        _parse_all(fmt, bytes(data[: max(1, int(cut * len(data)))]))


@FUZZ
@given(data=st.binary(max_size=512))
def test_detect_never_crashes(data: bytes) -> None:
    """Detection answers a format or a clear UnknownFormat."""
    with contextlib.suppress(UnknownFormat):
        assert detect(data) in FORMATS


@pytest.mark.parametrize("fmt", ["arxiv-atom", "arxiv-oai", "arxiv-rss"])
def test_unknown_encoding_declaration_is_a_rejection(fmt: str) -> None:
    """An XML declaration naming an unknown encoding is reported, not raised (found by fuzzing)."""
    data = b'<?xml version="1.0" encoding="aTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"></feed>'
    items = list(parser_for(fmt)(BytesIO(data), "x"))
    assert [type(i) for i in items] == [Rejection]
    assert "unsupported encoding" in items[0].reason  # type: ignore[union-attr]
