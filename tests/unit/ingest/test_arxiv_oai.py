"""arXiv OAI-PMH: arXivRaw, arXiv and oai_dc records, deleted records, errors and paging."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from ingest_fixtures import FIXTURES, import_bytes, notices, parse_path, records, rejections, stored
from sqlalchemy import Engine

from paperstand.ingest import arxiv_oai
from paperstand.ingest.arxiv_oai import read_oai_error, read_resumption_token, split_authors


def test_arxivraw_fields() -> None:
    """Versions with their dates, authors without affiliations or TeX, collapsed re-indented text."""
    items = parse_path(arxiv_oai, FIXTURES / "arxiv_oai_arxivraw.xml")
    first, withdrawn = records(items)
    assert (first.source, first.arxiv_id, first.version) == ("arxiv-oai", "2501.04444", 2)
    assert first.title == "Teaching Snails to Sprint: Slow Learners, Fast Results"
    assert first.abstract == "Snails learn slowly but they remember. We teach them to sprint."
    assert first.authors == ["Ana Marín", "Lars Nürnberg", "Paul Okoye, Jr.", "Françoise Lefèvre"]
    assert first.versions == [(1, datetime(2025, 1, 13, 18, 2, 33, tzinfo=UTC)),
                              (2, datetime(2025, 1, 17, 9, 10, 11, tzinfo=UTC))]
    assert (first.published_at, first.updated_at) == (first.versions[0][1], first.versions[1][1])
    assert first.categories == ["cs.LG", "stat.ML"]
    assert (first.doi, first.journal_ref, first.comments) == ("10.5555/snails.2025", "J. Slow Learn. 7 (2025) 1-14",
                                                               "14 pages, 5 figures")
    assert first.license == "http://creativecommons.org/licenses/by/4.0/"
    assert first.location == "record 1 (oai:arXiv.org:2501.04444)"
    assert (withdrawn.authors, withdrawn.withdrawn) == (["A. Berg", "C. Dahl"], True)
    (deleted,) = notices(items)
    assert (deleted.location, deleted.message) == ("record 2 (oai:arXiv.org:2501.04445)", "deleted upstream; skipped")


def test_arxiv_format_fields() -> None:
    """The arXiv format builds names from forenames, keyname and suffix; dates are days."""
    (rec,) = records(parse_path(arxiv_oai, FIXTURES / "arxiv_oai_arxiv.xml"))
    assert (rec.arxiv_id, rec.title) == ("1811.07777", "Branes in a Bathtub")
    assert rec.authors == ["Greta M. Schäfer", "Dean Hollis III"]
    assert (rec.published_at, rec.updated_at) == (datetime(2018, 11, 19, tzinfo=UTC), datetime(2025, 1, 17, tzinfo=UTC))
    assert rec.categories == ["hep-th", "gr-qc"]
    assert (rec.doi, rec.license) == ("10.5555/branes.2025", "http://arxiv.org/licenses/nonexclusive-distrib/1.0/")


def test_oai_dc_fields_with_crlf() -> None:
    """oai_dc with CRLF line ends: "Last, First" names, abstract and "Comment:" descriptions, dates."""
    path = FIXTURES / "arxiv_oai_dc_crlf.xml"
    assert b"\r\n" in path.read_bytes()
    first, second = records(parse_path(arxiv_oai, path))
    assert (first.arxiv_id, first.title) == ("1709.01234", "Sorting Socks in Linear Time")
    assert first.authors == ["Maja Lindgren", "Pieter van Dijk"]
    assert first.abstract == "We sort socks in linear time using a drawer."
    assert (first.comments, first.doi) == ("9 pages; v2 adds a second drawer", "10.5555/socks.2017")
    assert first.published_at == datetime(2017, 9, 5, tzinfo=UTC)
    assert first.updated_at == datetime(2025, 1, 20, tzinfo=UTC)
    assert (second.authors, second.comments) == (["Akua Osei"], None)


def test_errors_and_empty_results() -> None:
    """An OAI error is one rejection naming its code; noRecordsMatch is only a notice."""
    (rej,) = parse_path(arxiv_oai, FIXTURES / "arxiv_oai_error.xml")
    assert rej.reason == ("OAI-PMH error badResumptionToken: "  # type: ignore[union-attr]
                          "The resumptionToken supplied is not valid here")
    items = parse_path(arxiv_oai, FIXTURES / "arxiv_oai_norecords.xml")
    assert rejections(items) == [] and len(notices(items)) == 1
    assert "noRecordsMatch" in notices(items)[0].message


def test_paging_helpers() -> None:
    """The harvester reads the resumption token and the error without parsing records."""
    assert read_resumption_token((FIXTURES / "arxiv_oai_arxivraw.xml").read_bytes()) == "4242|1001"
    assert read_resumption_token((FIXTURES / "arxiv_oai_arxiv.xml").read_bytes()) is None
    assert read_resumption_token(b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
                                 b'<resumptionToken completeListSize="3"/></ListRecords></OAI-PMH>') is None
    assert read_oai_error((FIXTURES / "arxiv_oai_error.xml").read_bytes()) == (
        "badResumptionToken", "The resumptionToken supplied is not valid here")
    assert read_oai_error((FIXTURES / "arxiv_oai_arxivraw.xml").read_bytes()) is None


@pytest.mark.parametrize(("text", "names"), [
    ("A. One, B. Two, and C. Three", ["A. One", "B. Two", "C. Three"]),
    ("A. One (1 and 2), B. Two ((1) Uni A, (2) Uni B)", ["A. One", "B. Two"]),
    ("J. Smith, Jr. and K. Lee", ["J. Smith, Jr.", "K. Lee"]),
    (r"{\O}. Berg and \v{S}. Nov\'ak", ["Ø. Berg", "Š. Novák"]),
    ("ATLAS Collaboration", ["ATLAS Collaboration"]),
])
def test_split_authors(text: str, names: list[str]) -> None:
    """arXiv author strings split into names without affiliations, suffixes kept, TeX decoded."""
    assert split_authors(text) == names


def test_truncated_page_keeps_earlier_records(engine: Engine, tmp_path: Path) -> None:
    """A page cut inside its last record stores the first and names the line of the break."""
    data = (FIXTURES / "arxiv_oai_arxivraw.xml").read_bytes()
    cut = data.index(b"<title>Withdrawn")
    summary = import_bytes(engine, tmp_path, "cut.xml", data[:cut])
    assert set(stored(engine)) == {"2501.04444"}
    assert summary.rejected == 1 and summary.notices == [
        f"{tmp_path / 'cut.xml'}: record 2 (oai:arXiv.org:2501.04445): deleted upstream; skipped"]
    line = data[:cut].count(b"\n") + 1
    assert summary.rejections[0].startswith(f"{tmp_path / 'cut.xml'}: line {line} column ")
    assert "malformed XML" in summary.rejections[0]


def test_titleless_record_is_rejected_alone(engine: Engine, tmp_path: Path) -> None:
    """A record without a title is named by number and identifier; the others land."""
    data = (FIXTURES / "arxiv_oai_arxivraw.xml").read_text(encoding="utf-8")
    summary = import_bytes(engine, tmp_path, "page.xml", data.replace("<title>Withdrawn Thoughts</title>", "").encode())
    assert summary.rejections == [f"{tmp_path / 'page.xml'}: record 3 (oai:arXiv.org:2501.04446): no title"]
    row = stored(engine)["2501.04444"]
    assert set(stored(engine)) == {"2501.04444"}
    assert (row["latest_version"], [v["version"] for v in row["versions"]]) == (2, [1, 2])


def test_non_utf8_bytes_stop_at_their_line(engine: Engine, tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are a rejection with their line; the records before them land."""
    data = (FIXTURES / "arxiv_oai_arxivraw.xml").read_bytes().replace(b"Alma Berg", b"Alma B\xe9rg")
    summary = import_bytes(engine, tmp_path, "latin.xml", data)
    line = data[:data.index(b"\xe9")].count(b"\n") + 1
    assert summary.rejected == 1 and summary.rejections[0].startswith(f"{tmp_path / 'latin.xml'}: line {line} ")
    assert set(stored(engine)) == {"2501.04444"}


def test_real_samples(real: Path) -> None:
    """Every real OAI-PMH file parses; error responses give one rejection naming their code."""
    for path in sorted((real / "arxiv-oai-pmh").glob("*.xml")):
        items = parse_path(arxiv_oai, path)
        if path.name == "error_NoRecordsMatch.xml":
            assert (rejections(items), len(notices(items))) == ([], 1)
        elif path.name.startswith("error_"):
            code = path.stem.removeprefix("error_")
            (rej,) = rejections(items)
            assert rej.reason.lower().startswith(f"oai-pmh error {code.lower()}: "), rej
        else:
            assert rejections(items) == [] and records(items), path


def test_real_sample_fields(real: Path) -> None:
    """Record counts, resumption tokens, versions and names of the real pages."""
    folder = real / "arxiv-oai-pmh"
    big = folder / "arxivraw_listrecords_2016-10-21_387rec_reindented.xml"
    recs = records(parse_path(arxiv_oai, big))
    assert len(recs) == 387 and all("  " not in r.title and r.abstract for r in recs)
    assert read_resumption_token(big.read_bytes()) == "1403493|1001"
    assert read_resumption_token((folder / "oai_dc_cs_listrecords_2024-01-27_5rec_resumptiontoken.xml")
                                 .read_bytes()) == "6960524|1001"
    (one,) = records(parse_path(arxiv_oai, folder / "arxivraw_getrecord_1302.2146.xml"))
    assert (one.arxiv_id, one.version, [v for v, _ in one.versions]) == ("1302.2146", 2, [1, 2])
    dc = records(parse_path(arxiv_oai, folder / "oai_dc_cs_listrecords_2024-01-27_5rec_resumptiontoken.xml"))
    assert dc[0].authors == ["Vilnis Liepins"] and dc[0].comments == "32 pages, 9 figures"
    hep = records(parse_path(arxiv_oai, folder / "arxiv_listrecords_hep-th_2017-12-14_3rec.xml"))
    assert hep[0].authors == ["Philipp A Hoehn"] and hep[0].categories[0] == "quant-ph"
    assert read_oai_error((folder / "error_BadVerb.xml").read_bytes()) == (
        "badVerb", "Bad verb. Verb 'wah' not implemented.")
