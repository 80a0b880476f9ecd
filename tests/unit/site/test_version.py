"""The data version: every commit to what pages show moves it, from any connection, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from paperstand.ingest.run import import_file
from paperstand.site.version import ALL, ARXIV, FEATURED, SCOPES, TRENDING, VOTES, VersionReader, data_version

DAILY = Path(__file__).parents[2] / "fixtures" / "api" / "daily_small.json"


@pytest.fixture
def reader(engine: Engine) -> VersionReader:
    """A reader on its own connection, as the page cache holds one."""
    assert import_file(engine, DAILY).new == 7
    return VersionReader(engine)


def _run(engine: Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), {"now": datetime(2026, 1, 1, tzinfo=UTC), "blob": b"\x00"})


@pytest.mark.parametrize("statement", [
    "UPDATE papers SET title = 'x' WHERE arxiv_id = '2503.00201'",
    "DELETE FROM daily_picks WHERE id = (SELECT min(id) FROM daily_picks)",
    "UPDATE external_signals SET value = value + 1",
    "INSERT INTO paper_embeddings (paper_id, model_id, content_hash, vector, embedded_at) "
    "SELECT min(id), 'm', 'h', :blob, :now FROM papers",
])
def test_each_public_table_moves_the_version(engine: Engine, reader: VersionReader, statement: str) -> None:
    before = reader.read()
    _run(engine, statement)
    after = reader.read()
    assert after[0] > before[0]
    with Session(engine) as session:
        assert data_version(session) == after[0]


def test_other_writes_and_rollbacks_leave_it(engine: Engine, reader: VersionReader) -> None:
    before = reader.read()
    _run(engine, "INSERT INTO site_state (key, value, updated_at) VALUES ('k', 'v', :now)")
    with engine.connect() as conn:
        conn.execute(text("UPDATE papers SET title = 'rolled back'"))
        conn.rollback()
    assert reader.read() == before


def test_it_only_grows_and_a_transaction_counts_once_on_postgresql(engine: Engine, reader: VersionReader) -> None:
    before = reader.read()
    _run(engine, "UPDATE papers SET title = title || '.'", "UPDATE external_signals SET value = value + 1")
    after = reader.read()
    assert after[0] > before[0]
    if engine.dialect.name == "postgresql":
        # One deferred bump at commit, however many rows: writers never queue on the counter mid-transaction.
        assert after[0] == before[0] + 1


def test_the_reader_reconnects_after_its_connection_breaks(engine: Engine, reader: VersionReader) -> None:
    before = reader.read()
    reader._conn.close()  # noqa: SLF001 - simulate a dropped connection
    with pytest.raises(Exception):  # noqa: B017 - whichever driver error a closed connection raises
        reader.read()
    assert reader.read() == before
    reader.close()


def _moved(before: tuple[int, ...], after: tuple[int, ...]) -> set[int]:
    return {scope for scope, old, new in zip(SCOPES, before, after, strict=True) if new > old}


def _member_and_unfeatured_paper(engine: Engine) -> None:
    _run(engine, "INSERT INTO members (name, name_key, email, display_name, password_hash, role, show_upvotes, "
         "notify_mentions, created_at) VALUES ('m', 'm', 'm@example.org', 'M', '!', 'member', false, true, :now)",
         "INSERT INTO papers (arxiv_id, title_key, title, abstract, authors, categories, versions, sources, "
         "withdrawn, first_seen_at, last_changed_at) VALUES ('2601.00001', 'k', 'Lone', '', '[]', '[]', '[]', "
         "'[]', false, :now, :now)")


@pytest.mark.parametrize(("statement", "scopes"), [
    # A paper nobody featured: every page but the featured lists; a new one adds an arXiv day.
    ("UPDATE papers SET title = 'y' WHERE arxiv_id = '2601.00001'", {ALL}),
    ("UPDATE papers SET published_at = :now WHERE arxiv_id = '2601.00001'", {ALL, ARXIV}),
    # A featured paper: its lists too.
    ("UPDATE papers SET title = 'x' WHERE arxiv_id = '2503.00201'", {ALL, FEATURED}),
    # Votes stale nothing but the orders that depend on them (a featured paper's) and the vote counter.
    ("INSERT INTO votes (paper_id, member_id, created_at) SELECT p.id, m.id, :now FROM papers p, members m "
     "WHERE p.arxiv_id = '2601.00001'", {VOTES}),
    ("INSERT INTO votes (paper_id, member_id, created_at) SELECT p.id, m.id, :now FROM papers p, members m "
     "WHERE p.arxiv_id = '2503.00201'", {VOTES, FEATURED}),
    ("INSERT INTO trending_scores (paper_id, score, votes, votes_part, stars, stars_part, comments, "
     "comments_part, age_hours, age_part, computed_at) SELECT id, 1, 0, 0, 0, 0, 0, 0, 0, 0, :now FROM papers "
     "WHERE arxiv_id = '2601.00001'", {TRENDING}),
    ("UPDATE members SET display_name = 'Em'", {ALL, FEATURED}),
])
def test_each_write_moves_the_counters_of_the_pages_it_changes(
        engine: Engine, reader: VersionReader, statement: str, scopes: set[int]) -> None:
    _member_and_unfeatured_paper(engine)
    before = reader.read()
    _run(engine, statement)
    assert _moved(before, reader.read()) == scopes


def test_a_new_paper_moves_the_arxiv_counter_and_not_the_featured_one(engine: Engine, reader: VersionReader) -> None:
    before = reader.read()
    _member_and_unfeatured_paper(engine)
    assert _moved(before, reader.read()) == {ALL, ARXIV, FEATURED}  # FEATURED: the new member's name
