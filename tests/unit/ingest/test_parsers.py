"""Each parser on hand-written input in its real format: exact field values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

from ingest_samples import ATOM, ATOM_ENTRY2, OAI, OAI_RECORD2, RSS, RSS_ITEM2, hf_item, kaggle_line

from paperstand.ingest import arxiv_atom, arxiv_jsonl, arxiv_oai, arxiv_rss, hf_daily
from paperstand.ingest.formats import detect
from paperstand.ingest.record import PaperRecord


def _records(module, text: str) -> list[PaperRecord]:
    items = list(module.parse(BytesIO(text.encode()), "sample"))
    assert all(isinstance(i, PaperRecord) for i in items), items
    return items


def test_atom_fields() -> None:
    """Id and version, cleaned title/abstract, primary category first, dates, pdf, DOI."""
    first = _records(arxiv_atom, ATOM.replace("ENTRY2", ATOM_ENTRY2))[0]
    assert (first.arxiv_id, first.version) == ("2501.00001", 2)
    assert first.title == "Tidal Models of Small Lakes"
    assert first.abstract == "We model tides in small lakes and find them small."
    assert first.categories == ["cs.LG", "physics.ao-ph"]
    assert first.authors == ["Ada Brook", "Ben Shore"]
    assert first.published_at == datetime(2025, 1, 2, 9, 30, tzinfo=UTC)
    assert first.pdf_url == "https://arxiv.org/pdf/2501.00001v2"
    assert (first.doi, first.comments) == ("10.1234/lakes.1", "9 pages")


def test_oai_arxivraw_fields_and_token() -> None:
    """Versions with dates, author string split, resumption token read."""
    text = OAI.replace("RECORD2", OAI_RECORD2)
    rec = _records(arxiv_oai, text)[0]
    assert rec.arxiv_id == "2501.00011" and rec.version == 2
    assert rec.title == "Meadow Graphs for Flower Counting"
    assert rec.authors == ["Ann Field", "Bo Stem", "Cal Petal"]
    assert [v for v, _ in rec.versions] == [1, 2]
    assert rec.updated_at == datetime(2025, 1, 10, 12, tzinfo=UTC)
    assert arxiv_oai.read_resumption_token(text.encode()) == "123|1001"


def test_oai_error_and_empty_result() -> None:
    """An OAI error names its code; noRecordsMatch is only a notice."""
    err = b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><error code="badArgument">bad</error></OAI-PMH>'
    items = list(arxiv_oai.parse(BytesIO(err), "x"))
    assert len(items) == 1 and "badArgument: bad" in items[0].reason  # type: ignore[union-attr]
    empty = err.replace(b"badArgument", b"noRecordsMatch")
    assert type(list(arxiv_oai.parse(BytesIO(empty), "x"))[0]).__name__ == "Notice"


def test_rss_fields() -> None:
    """Id and version from the description, abstract after "Abstract:", creators split."""
    rec = _records(arxiv_rss, RSS.replace("ITEM2", RSS_ITEM2))[0]
    assert (rec.arxiv_id, rec.version) == ("2501.00021", 1)
    assert rec.abstract == "A robot folds paper cranes from a single demonstration."
    assert rec.authors == ["Fay Fold", "Gus Crane"]
    assert rec.categories == ["cs.LG", "cs.RO"]
    assert rec.published_at == datetime(2025, 1, 6, 5, tzinfo=UTC)


def test_hf_daily_fields() -> None:
    """Featured day, submitter, upvotes, comments, code repo and stars."""
    rec = _records(hf_daily, "[" + hf_item("2501.00031", "Upvoted Paper", 17) + "]")[0]
    assert rec.featured_on == date(2025, 1, 7)
    assert (rec.submitted_by, rec.submitted_by_name) == ("curator", "Cu Rator")
    assert (rec.hf_upvotes, rec.hf_comments, rec.github_stars) == (17, 3, 42)
    assert rec.authors == ["Jo Upvote", "Kim Star"]
    assert rec.github_repo == "https://github.com/example/repo"


def test_kaggle_jsonl_fields() -> None:
    """Authors from authors_parsed, versions with dates, published = v1."""
    rec = _records(arxiv_jsonl, kaggle_line("2501.00041", "Json Lines") + "\n")[0]
    assert rec.authors == ["Lu Line", "Mo Row"]
    assert rec.abstract == "Lines of JSON are easy."
    assert rec.version == 2 and rec.published_at == datetime(2025, 1, 6, 10, tzinfo=UTC)
    assert rec.categories == ["cs.DB", "cs.LG"]


def test_detect_formats() -> None:
    """Every sample is recognised from its first bytes."""
    assert detect(ATOM.encode()) == "arxiv-atom"
    assert detect(OAI.encode()) == "arxiv-oai"
    assert detect(RSS.encode()) == "arxiv-rss"
    assert detect(("[" + hf_item("2501.00031", "T", 1) + "]").encode()) == "hf-daily"
    assert detect(kaggle_line("2501.00041", "T").encode()) == "arxiv-jsonl"
    assert detect(b"new\n\nGet trending papers\n") == "listing"
