"""Hostile text at every door: control characters and huge values give a clear 4xx or rejection, never a 5xx,
and rows stored before the door was shut cannot break feeds or digests (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import re
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.digests.models import OutboxMessage
from paperstand.digests.send import send_period
from paperstand.ingest.clean import MAX_LINE_BYTES
from paperstand.ingest.record import PaperRecord
from paperstand.ingest.run import import_file
from paperstand.mail.backends import MemoryBackend, clear_memory_outboxes
from paperstand.papers.models import Paper
from paperstand.papers.periods import parse_day
from paperstand.papers.store import store_batch
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import InvalidEmail, confirm_subscription, normalize_email, request_subscription

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BASE = "https://papers.example.org"


def _bad_char(db_url: str) -> str:
    """The worst character a database can hold: NUL on SQLite; PostgreSQL refuses NUL itself, so U+0001."""
    return "\x00" if db_url.startswith("sqlite") else "\x01"


def _settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, harvest_on_start=False, base_url=BASE, secret_key="k",
                    data_dir=tmp_path, mail_url="memory:hostile")


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A client on an empty migrated database."""
    with TestClient(create_app(_settings(db_url, tmp_path))) as test_client:
        yield test_client


def _store_featured(engine: Engine, titles: list[str]) -> None:
    """Papers written straight to the store, as rows imported before ingest cleaned text would be."""
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="hf-daily", title=t, arxiv_id=f"2603.0000{i}",
                                       abstract=f"Paper {i} studies things{chr(1)}. It finds more.",
                                       authors=[f"Ada{chr(27)} Lovelace"], categories=["cs.CL"],
                                       hf_upvotes=10 * i, featured_on=DAY, position=i)
                           for i, t in enumerate(titles, 1)])


# Repro 1 and 4: control characters in a query or a path.
@pytest.mark.parametrize(("url", "status", "json"), [
    ("/feeds/search.rss?q=a%01", 400, False),
    ("/api/daily_papers?submitter=%00", 400, True),
    ("/api/papers/ps-%00", 404, True),
    ("/papers/ps-%00", 404, False),
    ("/papers/ps-a%00.md", 404, False),
    ("/search?q=%00", 400, False),
    ("/api/papers/search?q=%1b%5b31m", 400, True),
])
def test_control_characters_in_requests_are_a_4xx(client: TestClient, url: str, status: int, json: bool) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text
    if json:
        assert response.json()["status"] == status and response.json()["error"]
    else:
        assert response.headers["content-type"].startswith("text/html")
        assert "Content-Security-Policy" in response.headers


def test_the_4xx_names_the_parameter(client: TestClient) -> None:
    body = client.get("/api/daily_papers?submitter=%00").json()
    assert body["error"] == "The parameter 'submitter' holds a control character (U+0000), which no value may contain."


def test_tabs_and_newlines_in_a_search_are_fine(client: TestClient) -> None:
    assert client.get("/search?q=a%09b%0Ac").status_code == 200
    assert client.get("/feeds/search.rss?q=a%0Ab").status_code == 200


# Repro 5: an address with NUL or other controls.
def test_subscribing_an_address_with_nul_is_a_400_page(client: TestClient, engine: Engine) -> None:
    page = client.get("/subscribe")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    response = client.post("/subscribe", data={"email": "nul\x00x@example.org", "csrf": csrf.group(1)})
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    with Session(engine) as s:
        assert s.execute(select(Subscriber)).first() is None


@pytest.mark.parametrize("address", ["nul\x00x@example.org", "a\x01b@example.org", "esc\x1b[31m@example.org",
                                     "a@exa\x85mple.org", "line\u2028@example.org"])
def test_normalize_email_refuses_control_characters(address: str) -> None:
    with pytest.raises(InvalidEmail):
        normalize_email(address)


# Repro 2: a stored title with U+0001 (or NUL on SQLite) does not break any feed.
@pytest.mark.parametrize("feed", ["latest.rss", "latest.atom", "date/2026-03-02.rss", "date/2026-03-02.atom",
                                  "week/2026-W10.rss", "month/2026-03.atom", "arxiv/2026-03-02.rss"])
def test_a_stored_bad_title_does_not_break_feeds(client: TestClient, engine: Engine, db_url: str,
                                                 feed: str) -> None:
    bad = _bad_char(db_url)
    _store_featured(engine, [f"Bad{bad} title\ufffe here", "Good title"])
    response = client.get(f"/feeds/{feed}")
    assert response.status_code == 200, response.text
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    if not feed.startswith("arxiv/"):
        assert sorted(e.title for e in parsed.entries) == ["Bad title here", "Good title"]


# Repro 3: a featured paper with a bad title does not stop digest send.
def test_a_bad_title_does_not_stop_the_digest(engine: Engine, db_url: str, tmp_path: Path) -> None:
    clear_memory_outboxes()
    _store_featured(engine, [f"Broken{_bad_char(db_url)} title", "Fine title"])
    emails = ["a@example.org", "b@example.org", "c@example.org"]
    with Session(engine) as s, s.begin():
        for address in emails:
            opt_in = request_subscription(s, address, now=T0)
            assert opt_in is not None
            confirm_subscription(s, opt_in.token, now=T0)
    backend = MemoryBackend("hostile")
    report = send_period(engine, _settings(db_url, tmp_path), parse_day(DAY.isoformat()), backend,
                         clock=lambda: T0)
    assert (report.planned, report.sent) == (3, 3)
    assert sorted(str(m["To"]) for m in backend.outbox) == emails
    for message in backend.outbox:
        assert "Broken title" in str(message["Subject"]) or "Fine title" in str(message["Subject"])
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", message.get_body(("plain",)).get_content())
    with Session(engine) as s:
        assert {r.status for r in s.execute(select(OutboxMessage)).scalars()} == {"sent"}


def test_a_stored_address_with_controls_is_skipped_and_named(engine: Engine, db_url: str, tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    """An address stored before addresses were checked is closed, never written raw into a To: line."""
    clear_memory_outboxes()
    _store_featured(engine, ["Fine title"])
    with Session(engine) as s, s.begin():
        for address in ["ok@example.org", "esc\x1b[31m@example.org"]:
            s.add(Subscriber(email=address, status="confirmed", created_at=T0, confirmed_at=T0,
                             categories=[], keywords=[]))
    backend = MemoryBackend("hostile")
    with caplog.at_level(logging.WARNING, logger="paperstand.digests"):
        report = send_period(engine, _settings(db_url, tmp_path), parse_day(DAY.isoformat()), backend,
                             clock=lambda: T0)
    assert (report.planned, report.sent, report.skipped) == (2, 1, 1)
    assert [str(m["To"]) for m in backend.outbox] == ["ok@example.org"]
    assert "left out" in caplog.text
    with Session(engine) as s:
        statuses = sorted(r.status for r in s.execute(select(OutboxMessage)).scalars())
    assert statuses == ["sent", "skipped"]  # nothing left leased


# Repro 10: one good line and one whose title holds NUL.
def test_a_nul_title_line_does_not_lose_the_valid_one(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "two.jsonl"
    path.write_text('{"id": "2401.00001", "title": "Valid paper", "summary": "Fine."}\n'
                    '{"id": "2401.00002", "title": "Nul\\u0000 title", "summary": "Also \\u0000 fine."}\n'
                    '{"id": "2401.00003", "title": "\\u0000\\u0001", "summary": "No title left."}\n')
    summary = import_file(engine, path)
    assert (summary.new, summary.rejected) == (2, 1)
    assert summary.rejections == [f"{path}: line 3: no title (nothing is left of it once control characters "
                                  "are removed)"]
    with Session(engine) as s:
        titles = sorted(s.execute(select(Paper.title)).scalars())
    assert titles == ["Nul title", "Valid paper"]


def test_an_abstract_over_the_cap_is_rejected_naming_the_field(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text('{"id": "2401.00001", "title": "Fine", "summary": "ok"}\n'
                    '{"id": "2401.00002", "title": "Long", "summary": "' + "word " * 10_000 + 'x"}\n')
    summary = import_file(engine, path)
    assert (summary.new, summary.rejected) == (1, 1)
    assert summary.rejections == [f"{path}: line 2: abstract is 50,001 characters, over the 20,000 allowed"]


def test_a_150_mb_abstract_is_rejected_in_bounded_memory(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as out:
        out.write(b'{"id": "2401.00001", "title": "Huge", "summary": "')
        block = b"lorem ipsum " * 87_382  # about 1 MiB
        for _ in range(150):
            out.write(block)
        out.write(b'"}\n{"id": "2401.00002", "title": "After it", "summary": "ok"}\n')
    tracemalloc.start()
    try:
        summary = import_file(engine, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (summary.new, summary.rejected) == (1, 1)
    assert summary.rejections == [f"{path}: line 1: longer than {MAX_LINE_BYTES:,} bytes; no record is that long"]
    assert peak < 40 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def test_the_database_holds_no_control_characters_after_import(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "2401.00001", "title": "A\\u0007b", "summary": "c\\u001bd", '
                    '"authors": ["E\\u0000f"], "comment": "g\\u0085h"}\n')
    assert import_file(engine, path).new == 1
    with engine.connect() as conn:
        row = conn.execute(text("SELECT title, abstract, comments FROM papers")).one()
    assert tuple(row) == ("Ab", "cd", "g h")  # U+0085 is a line break: a space, as any other
