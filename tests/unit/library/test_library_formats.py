"""Export and import formats: checked with the real parsers (bibtexparser, rispy) and the CSL-JSON schema."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
import rispy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.errors import BadRequest
from paperstand.ingest.record import PaperRecord
from paperstand.library import formats, importer, service
from paperstand.library.items import all_papers
from paperstand.library.models import Collection
from paperstand.papers.models import Paper
from paperstand.papers.store import store_batch

SCHEMA = json.loads((Path(__file__).parents[2] / "fixtures" / "library" / "csl-data.schema.json").read_text())
NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
RECORDS = [
    PaperRecord(source="hf-daily", title="Attention Is All You Need", arxiv_id="1706.03762",
                authors=["Ashish Vaswani", "Noam Shazeer"], published_at=datetime(2017, 6, 12, tzinfo=UTC),
                categories=["cs.CL"], doi="10.48550/arXiv.1706.03762", featured_on=date(2025, 3, 11), position=1),
    PaperRecord(source="hf-daily", title="Attention Is Not Explanation", arxiv_id="1902.10186",
                authors=["Sarthak Jain", "Byron C. Wallace"], published_at=datetime(2019, 2, 26, tzinfo=UTC),
                featured_on=date(2025, 3, 11), position=2),
    PaperRecord(source="hf-daily", title="Strings & Branes: 50% of M-theory #1", arxiv_id="hep-th/9901001",
                authors=["Edward Witten"], published_at=datetime(1999, 1, 5, tzinfo=UTC),
                featured_on=date(2025, 3, 11), position=3),
    PaperRecord(source="hf-daily", title="Ein Papier über Übersetzung ohne arXiv",
                authors=["Jürgen Müller"], doi="10.1000/XYZ.123", featured_on=date(2025, 3, 11), position=4),
]
NOTES = ["Cite in §2 & compare with {RNNs}", "", "Old but 100% gold #classic", "Zeile eins\nZeile zwei"]


def _collection(engine: Engine) -> tuple[int, list[tuple[Paper, str]]]:
    with engine.begin() as conn:
        store_batch(conn, RECORDS)
    ada = make_member(engine, "ada")
    with Session(engine) as s:
        papers = list(s.scalars(select(Paper).order_by(Paper.id)))
        for i, (paper, note) in enumerate(zip(papers, NOTES, strict=True)):
            service.save_paper(s, member_id=ada.id, public_id=paper.public_id, note=note,
                               now=NOW.replace(minute=i))
    return ada.id, []


def _contents(engine: Engine, member_id: int, slug: str) -> list[tuple[str, str]]:
    with Session(engine) as s:
        c = service.get_collection(s, member_id=member_id, slug=slug)
        return sorted((p.public_id, item.note) for item, p in all_papers(s, collection_id=c.id))


def _export(engine: Engine, member_id: int, fmt: str) -> bytes:
    with Session(engine) as s:
        c = service.get_collection(s, member_id=member_id, slug="reading-list")
        return formats.export(fmt, [(p, item.note) for item, p in all_papers(s, collection_id=c.id)])


@pytest.mark.parametrize("fmt", ["bib", "ris"])
def test_a_collection_round_trips_through_export_and_import(engine: Engine, fmt: str) -> None:
    member, _ = _collection(engine)
    data = _export(engine, member, fmt)
    with Session(engine) as s:
        service.create_collection(s, member_id=member, name="Copy", now=NOW)
        report = importer.import_file(s, member_id=member, slug="copy", data=data, filename=f"x.{fmt}", now=NOW)
    assert (len(report.added), report.unmatched, report.errors) == (4, [], [])
    original, copy = _contents(engine, member, "reading-list"), _contents(engine, member, "copy")
    if fmt == "ris":  # RIS holds one line per field: a note's line breaks become spaces
        original = [(pid, " ".join(note.split())) for pid, note in original]
    assert copy == original
    # Importing the same file again adds nothing.
    with Session(engine) as s:
        again = importer.import_file(s, member_id=member, slug="copy", data=data, filename=f"x.{fmt}", now=NOW)
    assert (len(again.added), len(again.already)) == (0, 4)


def test_exports_read_back_with_the_real_parsers(engine: Engine) -> None:
    member, _ = _collection(engine)
    bib = bibtexparser.parse_string(_export(engine, member, "bib").decode())
    assert bib.failed_blocks == [] and len(bib.entries) == 4
    assert [e.key for e in bib.entries][:3] == ["vaswani2017attention", "jain2019attention", "witten1999strings"]
    first = bib.entries[0].fields_dict
    assert first["eprint"].value == "1706.03762" and first["annote"].value == "Cite in §2 \\& compare with {RNNs}"
    ris = rispy.loads(_export(engine, member, "ris").decode())
    assert [r["title"] for r in ris][0] == "Attention Is All You Need"
    assert ris[0]["authors"] == ["Ashish Vaswani", "Noam Shazeer"] and ris[3]["doi"] == "10.1000/XYZ.123"


def test_csl_json_validates_against_the_csl_data_schema(engine: Engine) -> None:
    member, _ = _collection(engine)
    data = json.loads(_export(engine, member, "json"))
    jsonschema.validate(data, SCHEMA)
    assert data[0]["author"][0] == {"family": "Vaswani", "given": "Ashish"}
    assert data[0]["issued"] == {"date-parts": [[2017, 6, 12]]} and data[0]["type"] == "article"
    assert len({item["id"] for item in data}) == 4
    with pytest.raises(jsonschema.ValidationError):  # the schema is not one that passes anything
        jsonschema.validate([{"id": "x", "type": "preprint-ish"}], SCHEMA)


def test_duplicate_keys_get_suffixes() -> None:
    papers = [Paper(title="Same Title", authors=["A B"], arxiv_id=f"2501.0000{i}") for i in range(3)]
    assert formats.unique_keys(papers) == ["b2025same", "b2025samea", "b2025sameb"]
    assert [formats._suffix(n) for n in (1, 26, 27)] == ["a", "z", "aa"]


def test_matching_prefers_arxiv_then_doi_then_title(engine: Engine) -> None:
    member, _ = _collection(engine)
    text = """@article{a, title={Something else}, journal={arXiv preprint arXiv:1902.10186}}
@article{b, title={Wrong title}, doi={https://doi.org/10.1000/xyz.123}}
@article{c, title={attention is ALL you need!}}
@article{d, title={Nothing Like It}, doi={10.9/none}, eprint={2999.99999}}
@article{e, author={Nobody}}
"""
    with Session(engine) as s:
        report = importer.parse(text, "bib")
        found = [importer.match(s, e) for e, _ in report.unmatched]
    ids = [p.public_id if p else why for p, why in found]
    assert found[1][0] is not None and found[1][0].doi == "10.1000/XYZ.123"  # by DOI, despite the wrong title
    assert (ids[0], ids[2]) == ("1902.10186", "1706.03762")
    assert ids[3] == "no stored paper has this arXiv id 2999.99999, DOI 10.9/none, title"
    assert ids[4] == "the entry has no arXiv id, DOI or title"


def test_bad_files_name_the_line_and_keep_valid_entries() -> None:
    ris = "TY  - JOUR\nTI  - Good one\nER  - \n\nTI  - no type line\nER  - \n\nTY  - JOUR\nTI  - never ended\n"
    report = importer.parse(ris, "ris")
    assert [e.title for e, _ in report.unmatched] == ["Good one"]
    assert report.errors == ["Line 5: this record could not be read (a record must start with 'TY  - '); it was "
                             "skipped.", "Line 8: this record could not be read (the record has no 'ER  - ' line to "
                             "end it); it was skipped."]
    with pytest.raises(BadRequest, match="empty"):
        importer.decode(b"  \n")
    with pytest.raises(BadRequest, match="neither"):
        importer.sniff("just some words", "notes.txt")
    assert importer.sniff("\n\nTY  - GEN\n") == "ris" and importer.sniff("% comment\n@misc{x}") == "bib"
    with pytest.raises(BadRequest, match="too large"):
        importer.decode(b"@" * (importer.MAX_BYTES + 1))


@given(blob=st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_hostile_files_are_read_or_refused_never_crash(blob: bytes) -> None:
    for fmt in ("bib", "ris"):
        try:
            text = importer.decode(b"@misc{" + blob if fmt == "bib" else b"TY  - GEN\n" + blob)
        except BadRequest:
            continue
        report = importer.parse(text, fmt)
        assert all(isinstance(e.title, str) and "\x00" not in e.title for e, _ in report.unmatched)


def test_hostile_titles_and_notes_export_to_parsable_files(engine: Engine) -> None:
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="hf-daily", title="Ünïcødé } { title \\ with $x^2$ & 10%",
                                       arxiv_id="2501.00001", authors=["Zoë \u202e Evil"],
                                       featured_on=date(2025, 3, 11), position=1)])
    with Session(engine) as s:
        paper = s.scalars(select(Paper)).one()
        items = [(paper, "note with } unbalanced { braces, ER  - and\nTY  - lines")]
        bib = bibtexparser.parse_string(formats.to_bibtex(items))
        assert bib.failed_blocks == [] and bib.entries[0].fields_dict["eprint"].value == "2501.00001"
        ris = rispy.loads(formats.to_ris(items))
        assert len(ris) == 1 and ris[0]["notes"] == ["note with } unbalanced { braces, ER - and TY - lines"]
        jsonschema.validate(json.loads(formats.to_csl_json(items)), SCHEMA)
        assert s.scalar(select(Collection.id)) is None
