"""arXiv JSON lines: the Kaggle snapshot schema, the daily-arXiv schema, and bad lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ingest_fixtures import FIXTURES, import_bytes, parse_bytes, parse_path, records, rejections, stored
from sqlalchemy import Engine

from paperstand.ingest import arxiv_jsonl


def test_kaggle_fields() -> None:
    """Names from authors_parsed, versions with dates, published = v1, withdrawn from comments."""
    first, second = records(parse_path(arxiv_jsonl, FIXTURES / "arxiv_kaggle.jsonl"))
    assert (first.source, first.arxiv_id, first.version) == ("arxiv-jsonl", "0705.0123", 2)
    assert first.title == "Thermal Noise in Tin Drums"
    assert first.abstract == "We listen to tin drums warming up."
    assert first.authors == ["H. Sandoval", "M. Chávez Jr.", "E. Nakamura"]
    assert first.versions == [(1, datetime(2007, 5, 1, 10, 20, 30, tzinfo=UTC)),
                              (2, datetime(2008, 1, 9, 8, tzinfo=UTC))]
    assert (first.published_at, first.updated_at) == (first.versions[0][1], first.versions[1][1])
    assert first.categories == ["physics.class-ph", "cond-mat.stat-mech"]
    assert (first.doi, first.journal_ref, first.comments) == ("10.5555/drums.2008", "Drum Acoust. 3 (2008) 5",
                                                               "20 pages, 4 figures")
    assert (first.withdrawn, first.location) == (False, "line 1")
    # Without authors_parsed the author string is split instead.
    assert (second.arxiv_id, second.authors, second.withdrawn) == ("math/0612345", ["Ida Krogh", "Per Holm"], True)


def test_daily_schema_fields() -> None:
    """The {id, categories[], pdf, authors[], title, comment, summary} schema."""
    first, second = records(parse_path(arxiv_jsonl, FIXTURES / "arxiv_daily.jsonl"))
    assert (first.arxiv_id, first.title) == ("2504.01010", "Seeing Through Fog with Cheap Cameras")
    assert (first.authors, first.categories) == (["Mei Tanaka", "Rafael Costa"], ["cs.CV", "cs.AI"])
    assert first.abstract == "Cheap cameras see through fog."
    assert (first.comments, first.pdf_url) == ("Accepted at an imaginary workshop", "https://arxiv.org/pdf/2504.01010")
    assert (second.comments, second.location) == (None, "line 2")


def test_bad_lines_are_named() -> None:
    """Broken JSON, bad UTF-8, no title or a mistyped field each name their line; blank lines are skipped."""
    good = (FIXTURES / "arxiv_daily.jsonl").read_bytes().splitlines()
    data = b"\n".join([b"\xef\xbb\xbf" + good[0], b"", b'{"id": "2504.01012", "title": "Cut', b"   ",
                       good[1].replace(b"Zara", b"Z\xe4ra"), b'{"id": "2504.01013", "title": " "}', b"[1, 2]",
                       b'{"id": "2504.01014", "title": "Typed", "abstract": 5}'])
    items = parse_bytes(arxiv_jsonl, data + b"\n")
    assert [r.arxiv_id for r in records(items)] == ["2504.01010"]
    assert [(r.location, r.reason.split(" (")[0]) for r in rejections(items)] == [
        ("line 3", "invalid JSON"), ("line 5", "not valid UTF-8"), ("line 6 (id 2504.01013)", "no title"),
        ("line 7", "expected a JSON object, found list"), ("line 8", "unexpected value in a field")]


def test_bad_lines_do_not_stop_the_import(engine: Engine, tmp_path: Path) -> None:
    """Good lines around bad ones land; the summary names file, line and reason."""
    lines = (FIXTURES / "arxiv_kaggle.jsonl").read_bytes().splitlines()
    latin = lines[1].replace(b"Ida Krogh", b"Ida Kr\xf8gh")
    byte = latin.index(b"\xf8") + 1
    data = b"\n".join([lines[0], lines[1][:60], latin, lines[1].replace(b'"A Retracted Lemma"', b'""'),
                       (FIXTURES / "arxiv_daily.jsonl").read_bytes()])
    summary = import_bytes(engine, tmp_path, "mixed.jsonl", data)
    name = tmp_path / "mixed.jsonl"
    assert summary.rejections[0].startswith(f"{name}: line 2: invalid JSON (")
    assert summary.rejections[1:] == [f"{name}: line 3: not valid UTF-8 (byte {byte})",
                                      f"{name}: line 4 (id math/0612345): no title"]
    assert set(stored(engine)) == {"0705.0123", "2504.01010", "2504.01011"}
    row = stored(engine)["0705.0123"]
    assert (row["latest_version"], row["authors"][1], row["primary_category"]) == (2, "M. Chávez Jr.",
                                                                                   "physics.class-ph")


def test_real_kaggle_head(real: Path) -> None:
    """The Kaggle snapshot's first 200 lines: 0704.0001 with its parsed names and two versions."""
    items = parse_path(arxiv_jsonl, real / "arxiv-metadata" / "kaggle_snapshot_head200_0704.0001-0704.0200.jsonl")
    recs = records(items)
    assert (len(recs), rejections(items)) == (200, [])
    assert [r.arxiv_id for r in recs[:2]] == ["0704.0001", "0704.0002"]
    first = recs[0]
    assert first.authors[0] == "C. Balázs" and len(first.authors) == 4
    assert [v for v, _ in first.versions] == [1, 2]
    assert first.published_at == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert (first.doi, first.categories) == ("10.1103/PhysRevD.76.013009", ["hep-ph"])


def test_real_daily_arxiv_slice(real: Path) -> None:
    """The 23,730 daily-arXiv papers parse without a single rejection."""
    total = 0
    for path in sorted((real / "arxiv-metadata" / "daily-arxiv-ai-enhanced").glob("*.jsonl")):
        items = parse_path(arxiv_jsonl, path)
        assert rejections(items) == [], path
        total += len(items)
    assert total == 23730
