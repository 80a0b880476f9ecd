"""Hugging Face JSON: daily papers, search results, a paper's detail, and the PaperExplorer export."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from ingest_fixtures import FIXTURES, import_bytes, parse_bytes, parse_path, records, rejections, stored
from sqlalchemy import Engine, select

from paperstand.ingest import hf_daily
from paperstand.papers.models import DailyPick, ExternalSignal, Paper


def test_daily_papers_fields() -> None:
    """Each /api/daily_papers item gives its paper, feature day, submitter and signals."""
    items = parse_path(hf_daily, FIXTURES / "hf_daily_papers.json")
    first, second, third = records(items)
    assert len(items) == 3
    assert (first.source, first.arxiv_id, first.version) == ("hf-daily", "2502.01234", None)
    assert first.title == "Lantern: Lighting Up Sparse Attention"
    assert first.abstract == "We light up sparse attention with lanterns."
    assert first.authors == ["Mira Quill", "Tobias Fenwick"]  # a "hidden" author is still an author
    assert first.published_at == datetime(2025, 1, 31, 18, 59, 59, tzinfo=UTC)
    assert first.featured_on == date(2025, 2, 3)
    assert (first.submitted_by, first.submitted_by_name) == ("adacur", "Ada Curator")
    assert (first.hf_upvotes, first.hf_comments, first.github_stars) == (42, 3, 1234)
    assert (first.github_repo, first.project_page) == ("https://github.com/example/lantern",
                                                       "https://lantern.example.org")
    assert first.ai_summary == "Lanterns make sparse attention visible."
    assert first.ai_keywords == ["sparse attention", "lanterns"]
    assert first.organization is not None and first.organization["name"] == "lanternlab"
    assert first.location == "record 1 (id 2502.01234)"
    assert (second.hf_upvotes, second.github_stars, second.ai_keywords) == (0, None, None)
    assert third.featured_on == date(2025, 2, 4)


def test_search_results_have_signals_but_no_feature_day() -> None:
    """/api/papers/search items carry upvotes and comments but say nothing about featuring."""
    first, second = records(parse_path(hf_daily, FIXTURES / "hf_papers_search.json"))
    assert (first.arxiv_id, first.title) == ("1912.04321", "Diffusing Ink in Water Tanks")
    assert first.abstract == "We watch ink diffuse in water tanks."
    assert (first.hf_upvotes, first.hf_comments) == (12, 2)
    assert first.ai_keywords == ["ink", "diffusion"]
    assert (first.featured_on, first.submitted_by) == (None, None)
    assert second.authors == ["Yuki Sato"]


def test_single_paper_detail() -> None:
    """A /api/papers/{id} object is one record with its feature day and submitter."""
    (rec,) = records(parse_path(hf_daily, FIXTURES / "hf_paper_detail.json"))
    assert (rec.arxiv_id, rec.title) == ("2503.07007", "Kite: Flying Small Language Models")
    assert rec.authors == ["Lena Voss", "Pål Ødegård"]
    assert (rec.featured_on, rec.submitted_by, rec.submitted_by_name) == (date(2025, 3, 10), "lvoss", "Lena Voss")
    assert (rec.hf_upvotes, rec.github_stars, rec.hf_comments) == (88, 512, None)
    assert rec.organization == {"_id": "65c000000000000000000001", "name": "kitelab", "fullname": "Kite Lab",
                                "avatar": "https://cdn.example.org/kitelab.png"}


def test_paperexplorer_export() -> None:
    """The PaperExplorer dict: the arXiv publication day stands in for the feature day."""
    first, second = records(parse_path(hf_daily, FIXTURES / "hf_paperexplorer.json"))
    assert (first.arxiv_id, first.title) == ("2401.00123", "Folding Maps Without Creases")
    assert first.abstract == "We fold maps without making creases."
    assert first.authors == ["Nadia Holm", "Eero Virtanen"]
    assert first.published_at == datetime(2024, 1, 2, 15, 4, 5, tzinfo=UTC)
    assert (first.featured_on, first.hf_upvotes) == (date(2024, 1, 2), 15)
    assert (second.featured_on, second.location) == (date(2024, 1, 3), "record 2 (id 2401.00456)")


def test_api_error_object_is_one_rejection() -> None:
    """An error body from the API is reported as such, not as a strange paper."""
    (rej,) = rejections(parse_bytes(hf_daily, b'{"error": "Invalid date"}'))
    assert rej.reason == "Hugging Face API error: Invalid date"


def test_broken_json_names_line_and_column(engine: Engine, tmp_path: Path) -> None:
    """Truncated JSON is one rejection with its line and column; nothing half-parsed is stored."""
    data = (FIXTURES / "hf_daily_papers.json").read_bytes()
    summary = import_bytes(engine, tmp_path, "cut.json", data[:1500])
    assert (summary.rejected, summary.new) == (1, 0)
    assert summary.rejections[0].startswith(f"{tmp_path / 'cut.json'}: line ")
    assert " column " in summary.rejections[0] and "invalid JSON" in summary.rejections[0]


def test_titleless_item_is_rejected_and_the_others_land(engine: Engine, tmp_path: Path) -> None:
    """An item without a title is named by number and id; the rest land with picks and upvotes."""
    data = (FIXTURES / "hf_daily_papers.json").read_text(encoding="utf-8")
    data = data.replace('"title": "Small Seeds, Tall Trees"', '"title": ""')
    summary = import_bytes(engine, tmp_path, "day.json", data.encode())
    assert summary.rejections == [f"{tmp_path / 'day.json'}: record 2 (id 2502.01300): no title"]
    assert summary.new == 2 and set(stored(engine)) == {"2502.01234", "2502.02001"}
    with engine.connect() as conn:
        picks = conn.execute(select(Paper.arxiv_id, DailyPick.day, DailyPick.position, DailyPick.submitted_by)
                             .join(DailyPick, DailyPick.paper_id == Paper.id).order_by(Paper.arxiv_id)).all()
        votes = conn.execute(select(ExternalSignal.value).where(ExternalSignal.name == "hf_upvotes")
                             .order_by(ExternalSignal.value)).scalars().all()
    assert [tuple(p) for p in picks] == [("2502.01234", date(2025, 2, 3), 1, "adacur"),
                                         ("2502.02001", date(2025, 2, 4), 1, "adacur")]
    assert votes == [7, 42]


def test_non_utf8_file_is_rejected(engine: Engine, tmp_path: Path) -> None:
    """A file with bytes that are not UTF-8 is one rejection naming the byte and line."""
    data = (FIXTURES / "hf_daily_papers.json").read_bytes().replace(b"Mira Quill", b"Mira Qu\xefll", 1)
    summary = import_bytes(engine, tmp_path, "latin.json", data)
    assert summary.rejected == 1 and summary.new == 0
    assert summary.rejections[0].startswith(f"{tmp_path / 'latin.json'}: byte ")
    assert "(line 6): not valid UTF-8" in summary.rejections[0]


def test_real_samples_parse_without_rejections(real: Path) -> None:
    """Every real Hugging Face file parses; each kind keeps its own fields."""
    counts = {}
    for path in sorted([*real.glob("hf-daily-papers/*.json"), *real.glob("hf-papers/*.json")]):
        items = parse_path(hf_daily, path)
        assert rejections(items) == [], path
        counts[path.name] = len(records(items))
    assert counts == {"daily_papers_2026-06-12_30papers_raw.json": 30, "daily_papers_2026-07-31_30papers_raw.json": 30,
                      "daily_papers_2026-07-31_5papers_pretty.json": 5,
                      "daily_papers_recorded_2026-07-14_25papers_raw.json": 25,
                      "history_paperexplorer_upvotes_753papers_2024-04-08.json": 753,
                      "paper_2608.09888_detail_pretty.json": 1, "papers_search_q-diffusion_3results_pretty.json": 3}


def test_real_daily_2026_06_12(real: Path) -> None:
    """The 2026-06-12 capture: 30 papers, all featured that day, with upvotes and submitters."""
    recs = records(parse_path(hf_daily, real / "hf-daily-papers" / "daily_papers_2026-06-12_30papers_raw.json"))
    assert len(recs) == 30
    assert {r.featured_on for r in recs} == {date(2026, 6, 12)}
    assert all(r.hf_upvotes is not None and r.submitted_by and r.authors and r.abstract for r in recs)
    assert sum(r.github_repo is not None for r in recs) == 16
    assert sum(r.organization is not None for r in recs) == 16


def test_real_detail_search_and_history(real: Path) -> None:
    """Real detail, search and PaperExplorer files give their signals and days."""
    (detail,) = records(parse_path(hf_daily, real / "hf-papers" / "paper_2608.09888_detail_pretty.json"))
    assert (detail.arxiv_id, detail.featured_on, detail.hf_upvotes, detail.github_stars) == (
        "2608.09888", date(2026, 8, 11), 782, 11184)
    search = records(parse_path(hf_daily, real / "hf-papers" / "papers_search_q-diffusion_3results_pretty.json"))
    assert all(r.featured_on is None and r.hf_upvotes is not None for r in search)
    history = records(parse_path(
        hf_daily, real / "hf-daily-papers" / "history_paperexplorer_upvotes_753papers_2024-04-08.json"))
    assert all(r.published_at and r.featured_on == r.published_at.date() for r in history)
    assert min(r.hf_upvotes or 0 for r in history) == 1 and max(r.hf_upvotes or 0 for r in history) == 553
