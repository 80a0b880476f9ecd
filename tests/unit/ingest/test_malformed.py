"""Bad input, per importer: a clear message naming file, record/line and reason; valid records land."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_samples import ATOM, ATOM_ENTRY2, OAI, OAI_RECORD2, RSS, RSS_ITEM2, hf_item, kaggle_line
from sqlalchemy import Engine, select

from paperstand.ingest.run import ImportSummary, import_file
from paperstand.papers.models import Paper


def _import(engine: Engine, tmp_path: Path, name: str, data: bytes) -> tuple[ImportSummary, set[str]]:
    path = tmp_path / name
    path.write_bytes(data)
    summary = import_file(engine, path)
    with engine.connect() as conn:
        ids = set(conn.execute(select(Paper.arxiv_id)).scalars())
    return summary, ids


def _one_rejection(summary: ImportSummary, *parts: str) -> None:
    assert summary.rejected == 1, summary.rejections
    for part in parts:
        assert part in summary.rejections[0], summary.rejections[0]


XML_CASES = {
    "atom": (ATOM, "ENTRY2", ATOM_ENTRY2, "<title>Currents in Canals</title>", "entry 2",
             {"2501.00001", "2501.00003"}),
    "oai": (OAI, "RECORD2", OAI_RECORD2, "<title>Roots and Shoots</title>", "record 2",
            {"2501.00011", "2501.00013"}),
    "rss": (RSS, "ITEM2", RSS_ITEM2, "<title>Crease Patterns</title>", "item 2", {"2501.00021", "2501.00023"}),
}


@pytest.mark.parametrize("kind", XML_CASES)
def test_xml_truncated_keeps_records_before_the_break(engine: Engine, tmp_path: Path, kind: str) -> None:
    """A file cut mid-way keeps the records before the cut and names the line of the break."""
    doc, slot, second, _, _, _ = XML_CASES[kind]
    text = doc.replace(slot, second)
    cut = text.index(second) + len(second) + 20
    summary, ids = _import(engine, tmp_path, f"{kind}.xml", text[:cut].encode())
    _one_rejection(summary, f"{kind}.xml: line ", "malformed XML", "records before this point were kept")
    assert summary.new == 2
    assert len(ids) == 2


@pytest.mark.parametrize("kind", XML_CASES)
def test_xml_record_without_title_is_rejected_alone(engine: Engine, tmp_path: Path, kind: str) -> None:
    """A record with no title is named; the records around it land."""
    doc, slot, second, title, where, expected = XML_CASES[kind]
    summary, ids = _import(engine, tmp_path, f"{kind}.xml", doc.replace(slot, second.replace(title, "")).encode())
    _one_rejection(summary, f"{kind}.xml: {where}", "no title")
    assert ids == expected


@pytest.mark.parametrize("kind", XML_CASES)
def test_xml_non_utf8_bytes(engine: Engine, tmp_path: Path, kind: str) -> None:
    """Bytes that are not UTF-8 stop the parse at their line; earlier records land."""
    doc, slot, second, _, _, _ = XML_CASES[kind]
    data = doc.replace(slot, second).encode()
    marker = second.encode()
    data = data.replace(marker, marker + b"\n<!-- \xff\xfe -->", 1)
    summary, ids = _import(engine, tmp_path, f"{kind}.xml", data)
    _one_rejection(summary, f"{kind}.xml: line ", "malformed XML")
    assert len(ids) == 2


def test_jsonl_broken_line_non_utf8_and_missing_title(engine: Engine, tmp_path: Path) -> None:
    """Each bad line is named with its number and reason; the good lines land."""
    lines = [kaggle_line("2501.00041", "Good One").encode(), b'{"id": "2501.00042", "title": ',
             kaggle_line("2501.00043", "Bad \xff Bytes").encode().replace(b"\\xff", b"\xff"),
             kaggle_line("2501.00044", "").encode(), kaggle_line("2501.00045", "Good Two").encode()]
    lines[2] = lines[2].replace("Bad \xff Bytes".encode(), b"Bad \xff Bytes")
    summary, ids = _import(engine, tmp_path, "snap.jsonl", b"\n".join(lines) + b"\n")
    assert summary.rejected == 3
    text = "\n".join(summary.rejections)
    assert "snap.jsonl: line 2: invalid JSON" in text
    assert "snap.jsonl: line 3: not valid UTF-8" in text
    assert "snap.jsonl: line 4 (id 2501.00044): no title" in text
    assert ids == {"2501.00041", "2501.00045"}


def test_hf_truncated_json_and_missing_title(engine: Engine, tmp_path: Path) -> None:
    """Truncated JSON is one clear rejection; a titleless item is rejected alone."""
    good = hf_item("2501.00051", "Kept Paper", 5)
    summary, ids = _import(engine, tmp_path, "daily.json", ("[" + good + ", " + good[:40]).encode())
    _one_rejection(summary, "daily.json: line ", "invalid JSON")
    assert ids == set()
    doc = "[" + good + ", " + hf_item("2501.00052", "", 1) + "]"
    summary, ids = _import(engine, tmp_path, "daily2.json", doc.encode())
    _one_rejection(summary, "daily2.json: record 2 (id 2501.00052): no title")
    assert ids == {"2501.00051"}


def test_hf_non_utf8(engine: Engine, tmp_path: Path) -> None:
    """A JSON file with non-UTF-8 bytes is refused with the byte offset."""
    data = ("[" + hf_item("2501.00051", "Kept Paper", 5) + "]").encode().replace(b"Kept", b"K\xffpt")
    summary, _ = _import(engine, tmp_path, "daily.json", data)
    _one_rejection(summary, "daily.json: byte ", "not valid UTF-8")


def test_listing_title_without_abstract_and_non_utf8(engine: Engine, tmp_path: Path) -> None:
    """A title with no abstract and a non-UTF-8 record are named by record and line."""
    abstract = "An abstract long enough to be an abstract, describing the work in two sentences. " * 2
    text = (f"Mar 11\n\nFirst Title\n\n{abstract}\n\nLonely Title\n\nShort\n\nThird Title\n\n{abstract}\n\n"
            f"Fourth \xff Title\n\n{abstract}\n").encode("latin-1")
    summary, _ = _import(engine, tmp_path, "listing.txt", text)
    assert summary.rejected >= 2
    joined = "\n".join(summary.rejections)
    assert "listing.txt: record 2 (line 7): title 'Lonely Title' has no abstract" in joined
    assert "not valid UTF-8" in joined
    with engine.connect() as conn:
        titles = set(conn.execute(select(Paper.title)).scalars())
    assert {"First Title", "Third Title"} <= titles
