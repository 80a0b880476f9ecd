"""Upserts: idempotent, versions kept, id-less papers merge with their arXiv twin."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, select

from paperstand.ingest.record import PaperRecord
from paperstand.papers.models import DailyPick, ExternalSignal, Paper
from paperstand.papers.store import store_batch


def _store(engine: Engine, *recs: PaperRecord):
    with engine.begin() as conn:
        return store_batch(conn, list(recs))


def _rec(**kw) -> PaperRecord:
    base = dict(source="arxiv-oai", title="Attention Is All You Need", arxiv_id="1706.03762", version=1,
                authors=["Ashish Vaswani", "Noam Shazeer"], abstract="The dominant sequence models.",
                categories=["cs.CL", "cs.LG"],
                versions=[(1, datetime(2017, 6, 12, tzinfo=UTC))])
    base.update(kw)
    return PaperRecord(**base)


def test_second_import_changes_nothing(engine: Engine) -> None:
    first = _store(engine, _rec())
    again = _store(engine, _rec())
    assert (first.new, again.new, again.updated, again.unchanged) == (1, 0, 0, 1)


def test_newer_version_updates_and_keeps_history(engine: Engine) -> None:
    _store(engine, _rec())
    res = _store(engine, _rec(version=2, abstract="Revised.", versions=[
        (1, datetime(2017, 6, 12, tzinfo=UTC)), (2, datetime(2017, 12, 6, tzinfo=UTC))]))
    assert res.updated == 1
    with engine.connect() as conn:
        paper = conn.execute(select(Paper.__table__)).mappings().one()
    assert paper["abstract"] == "Revised."
    assert paper["latest_version"] == 2
    assert [v["version"] for v in paper["versions"]] == [1, 2]
    # An older version arriving later fills no field it would overwrite.
    res = _store(engine, _rec(version=1, abstract="Old text."))
    with engine.connect() as conn:
        assert conn.execute(select(Paper.abstract)).scalar_one() == "Revised."


def test_listing_paper_merges_with_arxiv_record(engine: Engine) -> None:
    _store(engine, PaperRecord(source="listing", title="Attention is all you need!",
                               abstract="From a listing.", featured_on=date(2025, 3, 11), position=1))
    with engine.connect() as conn:
        key = conn.execute(select(Paper.local_key)).scalar_one()
    assert key and key.startswith("ps-")
    _store(engine, _rec())
    with engine.connect() as conn:
        rows = conn.execute(select(Paper.arxiv_id, Paper.local_key, Paper.sources)).all()
        picks = conn.execute(select(func.count()).select_from(DailyPick)).scalar_one()
    assert rows == [("1706.03762", key, ["listing", "arxiv-oai"])]
    assert picks == 1


def test_signals_are_kept_apart_and_updated(engine: Engine) -> None:
    _store(engine, _rec(source="hf-daily", hf_upvotes=10, github_stars=5))
    res = _store(engine, _rec(source="hf-daily", hf_upvotes=12, github_stars=5))
    assert res.updated == 1
    with engine.connect() as conn:
        got = dict(conn.execute(select(ExternalSignal.name, ExternalSignal.value)).all())
    assert got == {"hf_upvotes": 12, "github_stars": 5}


def test_duplicate_in_one_batch_is_one_paper(engine: Engine) -> None:
    res = _store(engine, _rec(), _rec(version=2, abstract="v2"))
    assert (res.new, res.updated) == (1, 1)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Paper)).scalar_one() == 1
