"""Every stored paper is browsable by its arXiv day or month; dates from ids; search by date and archive."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.db import alembic_config, migrate
from paperstand.ingest.record import PaperRecord
from paperstand.ingest.run import import_file
from paperstand.papers.models import Paper
from paperstand.papers.store import store_batch

FIXTURE = Path(__file__).parents[1] / "fixtures" / "arxiv" / "daily-2026-05.jsonl"
MAY_IDS = {"2605.00101", "2605.00102", "2605.00103", "2605.00104", "2605.00105"}


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A test client on the migrated test database."""
    app = create_app(Settings(database_url=db_url, data_dir=tmp_path, harvest_on_start=False))
    with TestClient(app) as test_client:
        yield test_client


def _import_fixture(engine: Engine) -> None:
    summary = import_file(engine, FIXTURE)
    assert summary.rejected == 0 and summary.new == 6, summary.rejections


def _dated(engine: Engine, n: int, day: datetime, cats: list[str], prefix: str = "2605.2") -> None:
    """``n`` papers whose source gave a day (as the arXiv API does)."""
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="arxiv-atom", arxiv_id=f"{prefix}{i:04d}", title=f"Dated paper {i}",
                                       abstract="A paper with a known day.", categories=cats,
                                       published_at=day + timedelta(minutes=i)) for i in range(n)])


def _count(html: str) -> str:
    match = re.search(r'class="count">\s*([\d,]+ papers?)', html)
    assert match, html[:2000]
    return match.group(1)


def _card_ids(html: str) -> list[str]:
    return re.findall(r'<article class="card" id="paper-([^"]+)"', html)


def test_json_lines_without_a_date_get_the_month_from_the_id(engine: Engine) -> None:
    _import_fixture(engine)
    with engine.connect() as conn:
        rows = {r.arxiv_id: (r.published_at, r.published_precision)
                for r in conn.execute(select(Paper.arxiv_id, Paper.published_at, Paper.published_precision))}
    assert rows["2605.00101"] == (datetime(2026, 5, 1, tzinfo=UTC), "month")
    assert rows["2604.09901"] == (datetime(2026, 4, 1, tzinfo=UTC), "month")


def test_a_known_day_replaces_the_month_guess_and_is_kept(engine: Engine) -> None:
    _import_fixture(engine)
    day = datetime(2026, 5, 4, 17, 0, tzinfo=UTC)
    with engine.begin() as conn:  # Hugging Face ranks below the JSON lines but knows the day
        store_batch(conn, [PaperRecord(source="hf-daily", arxiv_id="2605.00101", title="Tidal Tokenizers for "
                                       "Coastal Dialects", published_at=day)])
    _import_fixture_again = import_file(engine, FIXTURE)  # the month guess comes again
    assert _import_fixture_again.rejected == 0
    with engine.connect() as conn:
        row = conn.execute(select(Paper.published_at, Paper.published_precision)
                           .where(Paper.arxiv_id == "2605.00101")).one()
    assert tuple(row) == (day, "day")


def test_the_month_lists_every_paper_with_its_count(engine: Engine, client: TestClient) -> None:
    _import_fixture(engine)
    page = client.get("/arxiv/2026-05")
    assert page.status_code == 200
    assert _count(page.text) == "5 papers"
    assert set(_card_ids(page.text)) == MAY_IDS
    assert _card_ids(page.text)[0] == "2605.00105"  # newest (highest id) first
    assert "May 2026" in page.text and 'href="/arxiv/2026-04"' in page.text  # the previous month has a paper
    assert 'href="/feeds/arxiv/2026-05.rss"' in page.text and 'href="/feeds/arxiv/2026-05.atom"' in page.text
    # Papers dated by their id's month are not claimed for any day.
    day = client.get("/arxiv/2026-05-01")
    assert day.status_code == 200 and _count(day.text) == "0 papers" and _card_ids(day.text) == []
    assert "listed under" in day.text and 'href="/arxiv/2026-05"' in day.text


def test_category_and_archive_filters(engine: Engine, client: TestClient) -> None:
    _import_fixture(engine)
    assert set(_card_ids(client.get("/arxiv/2026-05?cat=cs").text)) == {"2605.00101", "2605.00102", "2605.00105"}
    assert _card_ids(client.get("/arxiv/2026-05?cat=cs.cl").text) == ["2605.00101"]
    assert _card_ids(client.get("/arxiv/2026-05?cat=math").text) == ["2605.00103"]  # not math-ph
    assert _card_ids(client.get("/arxiv/2026-05?cat=hep-th").text) == ["2605.00104"]
    empty = client.get("/arxiv/2026-05?cat=q-bio")
    assert empty.status_code == 200 and _count(empty.text) == "0 papers" and "Show every category" in empty.text
    assert client.get("/arxiv/2026-05?cat=%22%3E%3Cscript%3E").status_code == 400
    assert client.get("/arxiv/2026-05?cat=cs%00").status_code == 400


def test_days_page_fifty_at_a_time_with_neighbours(engine: Engine, client: TestClient) -> None:
    _dated(engine, 120, datetime(2026, 5, 4, 1, 0, tzinfo=UTC), ["cs.LG"])
    _dated(engine, 1, datetime(2026, 5, 7, 9, 0, tzinfo=UTC), ["math.AG"], prefix="2605.3")
    first = client.get("/arxiv/2026-05-04")
    assert _count(first.text) == "120 papers" and len(_card_ids(first.text)) == 50
    assert "page 1 of 3" in first.text and 'href="/arxiv/2026-05-04?p=2"' in first.text
    assert 'href="/arxiv/2026-05-07"' in first.text  # the next day with papers, skipping empty days
    third = client.get("/arxiv/2026-05-04?p=3")
    assert len(_card_ids(third.text)) == 20 and _card_ids(third.text)[-1] == "2605.20000"
    assert client.get("/arxiv/2026-05-04?p=4").status_code == 404
    filtered = client.get("/arxiv/2026-05-04?cat=cs&p=2")
    assert "page 2 of 3" in filtered.text and 'href="/arxiv/2026-05-04?cat=cs&amp;p=3"' in filtered.text
    assert _count(client.get("/arxiv/2026-05").text) == "121 papers"
    assert client.get("/arxiv", follow_redirects=False).headers["location"] == "/arxiv/2026-05-07"


@pytest.mark.parametrize("bad", ["2026-13", "2026-02-30", "banana", "2026-5", "99999-01", "2026-05-04x",
                                 "%00", "2026-05-0%00"])
def test_bad_dates_get_a_400_page(client: TestClient, bad: str) -> None:
    page = client.get(f"/arxiv/{bad}")
    assert page.status_code in (400, 404), page.text
    assert "Traceback" not in page.text
    assert client.get(f"/feeds/arxiv/{bad}.rss").status_code in (400, 404)


def test_empty_listing_explains_itself(client: TestClient) -> None:
    page = client.get("/arxiv/2026-05")
    assert page.status_code == 200 and _count(page.text) == "0 papers"
    assert "No stored papers were first published on arXiv in May 2026" in page.text
    assert "paperstand import" in page.text
    assert client.get("/arxiv/2026-05?p=0").status_code == 400
    assert client.get("/arxiv/2026-05?p=99999999999999999999").status_code == 400


def test_feeds_of_arxiv_listings(engine: Engine, client: TestClient) -> None:
    _import_fixture(engine)
    rss = feedparser.parse(client.get("/feeds/arxiv/2026-05.rss").content)
    assert {e.link.rsplit("/", 1)[-1] for e in rss.entries} == MAY_IDS
    atom = client.get("/feeds/arxiv/2026-05.atom?cat=cs.CL")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    assert [e.link.rsplit("/", 1)[-1] for e in feedparser.parse(atom.content).entries] == ["2605.00101"]
    assert feedparser.parse(client.get("/feeds/arxiv/2026-05-04.rss").content).entries == []
    assert client.get("/feeds/arxiv/2026-05.json").status_code == 404


def test_migration_backfills_dates_from_ids(engine: Engine) -> None:
    """Rows stored before 0007 (no date, no precision) get the id's month; dated rows become day-precise."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
        for aid, published in (("2605.09999", None), ("hep-th/9901001", None), ("2605.08888", now)):
            conn.execute(text(
                "INSERT INTO papers (arxiv_id, title_key, title, abstract, authors, categories, versions, sources, "
                "withdrawn, first_seen_at, last_changed_at, published_at) VALUES (:a, :k, :t, '', '[]', '[]', "
                "'[]', '[]', false, :now, :now, :published)"),
            {"a": aid, "k": aid, "t": aid, "now": now, "published": published})
    migrate(engine)
    with engine.connect() as conn:
        rows = {r.arxiv_id: (r.published_at, r.published_precision)
                for r in conn.execute(select(Paper.arxiv_id, Paper.published_at, Paper.published_precision))}
    assert rows["2605.09999"] == (datetime(2026, 5, 1, tzinfo=UTC), "month")
    assert rows["hep-th/9901001"] == (datetime(1999, 1, 1, tzinfo=UTC), "month")
    assert rows["2605.08888"][1] == "day"
