"""Acceptance: a backup taken during a write burst restores cleanly, and nobody who left gets mail.

RELIABILITY 23-24: ``paperstand backup`` runs while another thread imports papers and subscribes
people; the backup is restored into a fresh folder (SQLite) or a fresh database (PostgreSQL); every
write acknowledged before the backup began is there, the database checks out, and an address that
unsubscribed after the backup gets nothing from the next digest run.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from tests.conftest import POSTGRES_URL

from paperstand.config import Settings
from paperstand.db import make_engine
from paperstand.digests.send import send_period
from paperstand.ingest.record import PaperRecord
from paperstand.mail.backends import backend_from_url
from paperstand.papers.models import Paper
from paperstand.papers.periods import parse_day
from paperstand.papers.store import store_batch
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import confirm_subscription, request_subscription, unsubscribe

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
LEAVER, STAYER = "leaver@example.org", "stayer@example.org"


class Burst(threading.Thread):
    """Imports papers and subscribes people in short transactions, remembering what was acknowledged."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(daemon=True)
        self.engine, self.stop, self.error = engine, threading.Event(), None
        self.papers: list[str] = []
        self.subscribers: list[str] = []
        self.lock = threading.Lock()

    def run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                arxiv_ids = [f"2699.{n:03d}{k:02d}" for k in range(20)]
                with self.engine.begin() as conn:
                    store_batch(conn, [PaperRecord(source="hf-daily", title=f"Burst paper {a}", arxiv_id=a,
                                                   abstract="Written during a backup.", categories=["cs.LG"])
                                       for a in arxiv_ids])
                with self.lock:
                    self.papers += arxiv_ids  # acknowledged: the commit returned
                email = f"burst{n}@example.org"
                with Session(self.engine) as s, s.begin():
                    opt_in = request_subscription(s, email, now=T0)
                    assert opt_in is not None
                    confirm_subscription(s, opt_in.token, now=T0)
                with self.lock:
                    self.subscribers.append(email)
        except Exception as exc:  # reported by the test
            self.error = exc

    def acknowledged(self) -> tuple[list[str], list[str]]:
        """Every paper and subscriber whose transaction has committed so far."""
        with self.lock:
            return list(self.papers), list(self.subscribers)


def _setup(engine: Engine) -> None:
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="hf-daily", title=f"Featured paper {i}", arxiv_id=f"2603.0000{i}",
                                       abstract=f"Paper {i} studies things. It finds more.", categories=["cs.CL"],
                                       hf_upvotes=10 * i, featured_on=DAY, position=i) for i in (1, 2, 3)])
    for email in (LEAVER, STAYER):
        with Session(engine) as s, s.begin():
            opt_in = request_subscription(s, email, now=T0)
            assert opt_in is not None
            confirm_subscription(s, opt_in.token, now=T0)


@pytest.fixture
def fresh_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """Where to restore: a new SQLite file in a fresh folder, or a new PostgreSQL database (same schema name)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'new' / 'paperstand.db'}"
        return
    name = "r_" + uuid.uuid4().hex[:12]
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(db_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "paperstand", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)


def test_backup_under_writes_restores_everything_and_keeps_unsubscribes(engine: Engine, db_url: str,
                                                                         fresh_url: str, tmp_path: Path) -> None:
    """The whole promise, end to end through the commands, on SQLite and PostgreSQL."""
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old = Settings(database_url=db_url, data_dir=old_dir, secret_key="k", base_url="https://papers.example.org")
    _setup(engine)
    burst = Burst(engine)
    burst.start()
    try:
        while len(burst.acknowledged()[1]) < 3 and burst.error is None:
            time.sleep(0.02)  # the burst is well under way before the backup starts
        papers_before, subs_before = burst.acknowledged()
        made = _cli({"PAPERSTAND_DATABASE_URL": db_url, "PAPERSTAND_DATA_DIR": str(old_dir)},
                    "backup", str(tmp_path / "site.bak"))
        still_writing = len(burst.acknowledged()[0]) > len(papers_before)
    finally:
        burst.stop.set()
        burst.join(30)
    assert burst.error is None, burst.error
    assert made.returncode == 0, made.stderr
    assert still_writing, "the writes should have gone on during the backup"
    assert "site.bak" in made.stdout and "papers" in made.stdout
    assert not any(p.name.startswith(".site.bak") for p in tmp_path.iterdir())  # no temporary left

    # After the backup: the leaver unsubscribes (through the service, as the unsubscribe page does).
    with Session(engine) as s, s.begin():
        leaver = s.execute(select(Subscriber).where(Subscriber.email == LEAVER)).scalar_one()
        unsubscribe(s, leaver.id, journal=old)

    env = {"PAPERSTAND_DATABASE_URL": fresh_url, "PAPERSTAND_DATA_DIR": str(new_dir)}
    done = _cli(env, "restore", str(tmp_path / "site.bak"), "--journal", str(old_dir / "suppressions.jsonl"))
    assert done.returncode == 0, done.stderr
    assert "1 subscriptions ended" in done.stdout.replace("\n", " ")

    restored = make_engine(fresh_url)
    try:
        if fresh_url.startswith("sqlite"):
            with sqlite3.connect(new_dir / "paperstand.db") as conn:
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        with Session(restored) as s:
            have_papers = set(s.scalars(select(Paper.arxiv_id)))
            have_subs = set(s.scalars(select(Subscriber.email)))
        assert set(papers_before) <= have_papers
        assert {*subs_before, LEAVER, STAYER} <= have_subs

        new = Settings(database_url=fresh_url, data_dir=new_dir, secret_key="k",
                       base_url="https://papers.example.org")
        mail_dir = new_dir / "mail"
        report = send_period(restored, new, parse_day(DAY.isoformat()), backend_from_url(f"file://{mail_dir}"))
    finally:
        restored.dispose()
    recipients = {str(message_from_bytes(p.read_bytes(), policy=default)["To"]) for p in mail_dir.glob("*.eml")}
    assert STAYER in recipients and LEAVER not in recipients
    assert report.sent == len(recipients) >= 2


def test_restore_twice_with_the_same_journals_is_idempotent(engine: Engine, db_url: str, fresh_url: str,
                                                            tmp_path: Path) -> None:
    """A second forced restore from the same backup and journals ends in the same state."""
    old = Settings(database_url=db_url, data_dir=tmp_path / "old")
    _setup(engine)
    env_old = {"PAPERSTAND_DATABASE_URL": db_url, "PAPERSTAND_DATA_DIR": str(old.data_dir)}
    assert _cli(env_old, "backup", str(tmp_path / "b.bak")).returncode == 0
    with Session(engine) as s, s.begin():
        unsubscribe(s, s.execute(select(Subscriber.id).where(Subscriber.email == LEAVER)).scalar_one(), journal=old)
    env = {"PAPERSTAND_DATABASE_URL": fresh_url, "PAPERSTAND_DATA_DIR": str(tmp_path / "new")}
    args = ("restore", str(tmp_path / "b.bak"), "--journal", str(old.data_dir / "suppressions.jsonl"))
    first, second = _cli(env, *args), _cli(env, *args, "--force")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "1 new, 1 subscriptions ended" in first.stdout.replace("\n", " ")
    # The second restore replaced the database with the backup again, so the entry is re-applied once more.
    assert "1 new, 1 subscriptions ended" in second.stdout.replace("\n", " ")
    restored = make_engine(fresh_url)
    try:
        with Session(restored) as s:
            statuses = {e: st for e, st in s.execute(select(Subscriber.email, Subscriber.status))}
    finally:
        restored.dispose()
    assert statuses == {LEAVER: "unsubscribed", STAYER: "confirmed"}


def test_the_unsubscribe_page_writes_the_journal(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """The one-click POST (what mail providers send) appends the address to the data folder's journal."""
    from fastapi.testclient import TestClient

    from paperstand.app import create_app
    from paperstand.backup import journal
    from paperstand.subscriptions.links import make_key

    _setup(engine)
    settings = Settings(database_url=db_url, data_dir=tmp_path / "var", secret_key="k", harvest_on_start=False,
                        worker="off")
    with Session(engine) as s:
        sid = s.execute(select(Subscriber.id).where(Subscriber.email == LEAVER)).scalar_one()
    with TestClient(create_app(settings)) as client:
        response = client.post(f"/unsubscribe/{make_key(b'k', 'unsubscribe', sid)}",
                               content="List-Unsubscribe=One-Click")
    assert response.status_code == 200
    assert [(e.email, e.reason) for e in journal.read(journal.journal_path(settings))] == [(LEAVER, "unsubscribed")]
