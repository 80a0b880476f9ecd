"""Watching a paper: a new version, code and a comment each reach the watcher once, through a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.community_flow import Inbox
from tests.conftest import MadeMember, make_member, smtp_server

from paperstand.app import create_app
from paperstand.community.comments import post
from paperstand.config import Settings
from paperstand.follows.models import Watch, WatchAlert, WatchEvent
from paperstand.ingest.record import PaperRecord
from paperstand.mail.models import OutgoingMail
from paperstand.mail.outbox_send import send_outbox_now
from paperstand.papers.store import store_batch
from paperstand.worker.jobs import watch_job

CSRF = "watch-test-token-0123456789"
V1 = datetime(2025, 3, 1, 10, tzinfo=UTC)


def _record(version: int) -> PaperRecord:
    versions = [(n, V1 + timedelta(days=n - 1)) for n in range(1, version + 1)]
    return PaperRecord(source="arxiv-oai", title="Watched Lanterns", arxiv_id="2503.00001", version=version,
                       versions=versions, authors=["Ada Quill"], categories=["cs.LG"], abstract="Lanterns.",
                       published_at=V1)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, str]]:
    """A real SMTP server and its URL."""
    box = Inbox()
    with smtp_server(box) as url:
        yield box, url


@pytest.fixture
def settings(engine: Engine, db_url: str, tmp_path: Path, inbox: tuple[Inbox, str]) -> Settings:
    """Settings on the test database, mailing the test SMTP server; one paper stored at version 1."""
    with engine.begin() as conn:
        store_batch(conn, [_record(1)])
    return Settings(database_url=db_url, data_dir=tmp_path, harvest_on_start=False, mail_url=inbox[1],
                    base_url="http://papers.test")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app, redirects not followed."""
    with TestClient(create_app(settings), follow_redirects=False) as test_client:
        yield test_client


def _watch(client: TestClient, who: MadeMember, action: str = "watch") -> str:
    answer = client.post("/papers/2503.00001/watch", data={"csrf": CSRF, "action": action},
                         headers={"Cookie": f"ps_session={who.cookie}; ps_csrf={CSRF}"})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def _deliver(settings: Settings, inbox: Inbox, expected: int) -> list[str]:
    """Run the watch job twice and the outbox once; the subjects of every mail received so far."""
    watch_job(settings)
    watch_job(settings)
    send_outbox_now(settings)
    messages = inbox.wait(expected)
    assert len(inbox.messages) == expected, [str(m["Subject"]) for m in inbox.messages]
    return [str(m["Subject"]) for m in messages]


def test_a_new_version_alerts_once_after_reimport(client: TestClient, engine: Engine, settings: Settings,
                                                 inbox: tuple[Inbox, str]) -> None:
    box, _ = inbox
    ada, kofi = make_member(engine, "ada"), make_member(engine, "kofi")
    assert _watch(client, ada) == "/papers/2503.00001"
    _watch(client, ada)  # twice: one watch
    page = client.get("/papers/2503.00001", headers=ada.headers).text
    assert "👁 Watching" in page
    assert _deliver(settings, box, 0) == []  # watching is not news: version 1 was there before
    with engine.begin() as conn:
        store_batch(conn, [_record(3)])
    subjects = _deliver(settings, box, 1)
    assert subjects == ["“Watched Lanterns”: new version 3"]
    mail = box.messages[0]
    assert mail["To"] == ada.email and "http://papers.test/papers/2503.00001" in mail.get_content()
    with engine.begin() as conn:  # the same version again, from another source: nothing new
        store_batch(conn, [_record(3), _record(2)])
    assert _deliver(settings, box, 1) == subjects
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(WatchAlert)) == 1
        assert s.scalar(select(func.count()).select_from(OutgoingMail).where(OutgoingMail.kind == "watch")) == 1
        assert s.scalar(select(func.count()).select_from(Watch)) == 1
    assert kofi.id


def test_code_and_comments_alert_watchers_but_not_the_commenter(client: TestClient, engine: Engine,
                                                               settings: Settings, inbox: tuple[Inbox, str]) -> None:
    box, _ = inbox
    ada, kofi = make_member(engine, "ada"), make_member(engine, "kofi")
    _watch(client, ada)
    _watch(client, kofi)
    with engine.begin() as conn:
        store_batch(conn, [replace(_record(1), source="hf-daily", github_repo="https://github.com/quill/lanterns")])
    with Session(engine) as s:
        done = post(s, paper_id="2503.00001", member_id=kofi.id, body="Where is the data?", now=datetime.now(UTC),
                    site_url="http://papers.test")
    subjects = sorted(_deliver(settings, box, 3))
    assert subjects == ["“Watched Lanterns”: a comment by @kofi",
                        "“Watched Lanterns”: code released: https://github.com/quill/lanterns",
                        "“Watched Lanterns”: code released: https://github.com/quill/lanterns"]
    to = sorted((str(m["To"]), str(m["Subject"])) for m in box.messages)
    assert to[0] == (ada.email, "“Watched Lanterns”: a comment by @kofi")
    assert all(not (t == kofi.email and "comment" in s) for t, s in to)  # not told of one's own comment
    comment_mail = next(m for m in box.messages if "comment" in str(m["Subject"]))
    assert f"/papers/2503.00001#comment-{done.comment.id}" in comment_mail.get_content()


def test_unwatching_stops_alerts_and_digest_delivery_without_a_digest_still_mails(
        client: TestClient, engine: Engine, settings: Settings, inbox: tuple[Inbox, str]) -> None:
    box, _ = inbox
    ada, kofi = make_member(engine, "ada"), make_member(engine, "kofi")
    _watch(client, ada)
    _watch(client, kofi)
    _watch(client, kofi, "unwatch")
    saved = client.post("/following/delivery", data={"csrf": CSRF, "choice": "digest"},
                        headers={"Cookie": f"ps_session={ada.cookie}; ps_csrf={CSRF}"})
    assert saved.status_code == 303
    page = client.get("/following", headers=ada.headers).text
    assert "You have no running digest" in page and "Watched Lanterns" in page
    with engine.begin() as conn:
        store_batch(conn, [_record(2)])
    assert _deliver(settings, box, 1) == ["“Watched Lanterns”: new version 2"]
    assert box.messages[0]["To"] == ada.email
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(WatchEvent)) == 2  # version 1 (watched) and version 2
    bad = client.post("/following/delivery", data={"csrf": CSRF, "choice": "carrier pigeon"},
                      headers={"Cookie": f"ps_session={ada.cookie}; ps_csrf={CSRF}"})
    assert bad.status_code == 400
    assert client.post("/papers/2503.99999/watch", data={"csrf": CSRF},
                       headers={"Cookie": f"ps_session={ada.cookie}; ps_csrf={CSRF}"}).status_code == 404
