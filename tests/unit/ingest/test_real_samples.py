"""Every real sample under ../shared/data/real imports; error responses give their clear error."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperstand.ingest.formats import detect, parser_for
from paperstand.ingest.record import Notice, PaperRecord, Rejection
from paperstand.ingest.run import import_file
from paperstand.papers.models import DailyPick, ExternalSignal, Paper

ERRORS = {"error_BadArgument.xml": "badArgument", "error_BadResumptionToken.xml": "badResumptionToken",
          "error_BadVerb.xml": "badVerb", "error_IdDoesNotExist.xml": "idDoesNotExist",
          "new2026_idlist_abc_error.xml": "arXiv API error: incorrect id format for abc"}
EXPECTED_FORMAT = {"arxiv-api-atom": "arxiv-atom", "arxiv-oai-pmh": "arxiv-oai", "arxiv-rss": "arxiv-rss",
                   "hf-daily-papers": "hf-daily", "hf-papers": "hf-daily"}


def _files(real: Path) -> list[Path]:
    return sorted(p for p in real.rglob("*") if p.suffix in (".xml", ".json", ".jsonl"))


def test_every_real_file_parses_with_zero_rejections(real: Path) -> None:
    """Detected format matches the folder; only the error responses produce a rejection."""
    for path in _files(real):
        fmt = detect(path.read_bytes()[:8192])
        folder = path.parent.name
        assert fmt == EXPECTED_FORMAT.get(folder, "arxiv-jsonl"), path
        with path.open("rb") as fh:
            items = list(parser_for(fmt)(fh, str(path)))
        rejections = [i for i in items if isinstance(i, Rejection)]
        if path.name in ERRORS:
            assert len(rejections) == 1 and ERRORS[path.name] in rejections[0].reason, rejections
        elif path.name == "error_NoRecordsMatch.xml":
            assert [type(i) for i in items] == [Notice]
        else:
            assert rejections == [], (path, rejections[:3])
            if "empty" not in path.name:
                assert any(isinstance(i, PaperRecord) for i in items), path


def test_arxiv_samples_import_with_zero_rejected(engine: Engine, real: Path) -> None:
    """The Atom, OAI-PMH and RSS samples land in the database with nothing rejected."""
    for folder in ("arxiv-api-atom", "arxiv-oai-pmh", "arxiv-rss"):
        for path in sorted((real / folder).glob("*.xml")):
            if path.name in ERRORS or path.name == "error_NoRecordsMatch.xml":
                continue
            summary = import_file(engine, path)
            assert summary.rejected == 0, summary.rejections
    with Session(engine) as session:
        paper = session.execute(select(Paper).where(Paper.arxiv_id == "1302.2146")).scalar_one()
    assert paper.latest_version == 2 and len(paper.versions) == 2


@pytest.mark.parametrize("name", ["daily_papers_2026-06-12_30papers_raw.json",
                                  "daily_papers_recorded_2026-07-14_25papers_raw.json",
                                  "daily_papers_2026-07-31_30papers_raw.json"])
def test_hf_daily_reproduces_the_day(engine: Engine, real: Path, name: str) -> None:
    """Each day's papers come back with titles, authors, upvotes and submitters, in file order."""
    path = real / "hf-daily-papers" / name
    summary = import_file(engine, path)
    assert summary.rejected == 0
    items = json.loads(path.read_text(encoding="utf-8"))
    with Session(engine) as conn:
        for item in items:
            p = item["paper"]
            day = date.fromisoformat(p["submittedOnDailyAt"][:10])
            row = conn.execute(select(Paper.id, Paper.title, Paper.authors).where(Paper.arxiv_id == p["id"])).one()
            assert row.title == " ".join(p["title"].split())
            assert row.authors == [a["name"] for a in p["authors"]]
            pick = conn.execute(select(DailyPick).where(
                DailyPick.paper_id == row.id, DailyPick.day == day)).scalar_one()
            assert pick.submitted_by == p["submittedOnDailyBy"]["user"]
            votes = conn.execute(select(ExternalSignal.value).where(
                ExternalSignal.paper_id == row.id, ExternalSignal.name == "hf_upvotes")).scalar_one()
            assert votes == p["upvotes"]
        for day in {date.fromisoformat(i["paper"]["submittedOnDailyAt"][:10]) for i in items}:
            order = conn.execute(select(Paper.arxiv_id).join(DailyPick, DailyPick.paper_id == Paper.id)
                                 .where(DailyPick.day == day).order_by(DailyPick.position)).scalars().all()
            assert order == [i["paper"]["id"] for i in items if i["paper"]["submittedOnDailyAt"][:10] == str(day)]


def test_jsonl_samples_import_and_second_import_is_unchanged(engine: Engine, real: Path) -> None:
    """The Kaggle head imports fully; importing it again changes nothing."""
    path = real / "arxiv-metadata" / "kaggle_snapshot_head200_0704.0001-0704.0200.jsonl"
    first, second = import_file(engine, path), import_file(engine, path)
    assert (first.new, first.rejected) == (200, 0)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 200)
    with Session(engine) as conn:
        paper = conn.execute(select(Paper).where(Paper.arxiv_id == "0704.0001")).scalar_one()
        assert conn.execute(select(func.count()).select_from(Paper)).scalar_one() == 200
    assert paper.authors[0] == "C. Balázs" and paper.doi == "10.1103/PhysRevD.76.013009"
    assert [v["version"] for v in paper.versions] == [1, 2]
