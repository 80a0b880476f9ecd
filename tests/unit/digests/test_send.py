"""Sending a period's digests through a real SMTP server: one per subscriber, retries, suppression."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import smtp_server

from paperstand.config import Settings
from paperstand.digests.models import OutboxMessage
from paperstand.digests.pace import Pacer
from paperstand.digests.send import send_period
from paperstand.ingest.record import PaperRecord
from paperstand.mail.backends import backend_from_url
from paperstand.papers.periods import parse_day
from paperstand.papers.store import store_batch
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import confirm_subscription, may_receive, request_subscription

DAY = date(2026, 3, 2)


@dataclass
class FakeClock:
    """A monotonic clock that only moves when something sleeps, recording each sleep."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Advance the clock instead of waiting."""
        self.sleeps.append(seconds)
        self.now += seconds


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Script:
    """Answers per recipient: a list of DATA replies consumed in order; default accept."""

    replies: dict[str, list[str]] = field(default_factory=dict)
    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Reply as scripted for the (single) recipient, else accept and keep the message."""
        queue = self.replies.get(envelope.rcpt_tos[0], [])
        reply = queue.pop(0) if queue else "250 OK"
        if reply.startswith("250"):
            self.received.append(envelope.original_content)
        return reply


@pytest.fixture
def smtp() -> Iterator[tuple[Script, str]]:
    """A real SMTP server on a free loopback port."""
    script = Script()
    with smtp_server(script) as url:
        yield script, url


def _setup(engine: Engine, emails: list[str]) -> None:
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="hf-daily", title=f"Paper number {i}", arxiv_id=f"2603.0000{i}",
                                       abstract=f"Paper {i} studies things. It finds more.", categories=["cs.CL"],
                                       hf_upvotes=10 * i, featured_on=DAY, position=i) for i in (1, 2, 3)])
    with Session(engine) as s, s.begin():
        for email in emails:
            opt_in = request_subscription(s, email, now=T0)
            assert opt_in is not None
            confirm_subscription(s, opt_in.token, now=T0)


def _settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(database_url=db_url, secret_key="k", base_url="https://papers.example.org",
                    data_dir=tmp_path)


def test_one_digest_each_in_ranking_order_and_none_twice(engine: Engine, db_url: str, tmp_path: Path,
                                                         smtp: tuple[Script, str]) -> None:
    """Every confirmed subscriber gets one digest; a second run (or a second sender) sends nothing."""
    script, url = smtp
    _setup(engine, ["a@example.org", "b@example.org"])
    settings, period = _settings(tmp_path, db_url), parse_day(DAY.isoformat())
    backend = backend_from_url(url)
    report = send_period(engine, settings, period, backend, clock=lambda: T0)
    assert (report.planned, report.sent) == (2, 2)
    again = send_period(engine, settings, period, backend, clock=lambda: T0)
    assert (again.planned, again.sent) == (0, 0)
    backend.close()
    assert len(script.received) == 2
    mail = message_from_bytes(script.received[0], policy=default)
    text = mail.get_body(("plain",)).get_content()
    assert [line.split(". ", 1)[1] for line in text.splitlines() if line[:2] in ("1.", "2.", "3.")] == [
        "Paper number 3", "Paper number 2", "Paper number 1"]
    assert str(mail["List-Unsubscribe"]).strip().startswith("<https://papers.example.org/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_451_then_250_is_retried_with_the_same_message_id(engine: Engine, db_url: str, tmp_path: Path,
                                                          smtp: tuple[Script, str]) -> None:
    """A temporary failure is retried after its delay, and the retry is the same message."""
    script, url = smtp
    script.replies["a@example.org"] = ["451 4.3.0 try later"]
    _setup(engine, ["a@example.org"])
    settings, period = _settings(tmp_path, db_url), parse_day(DAY.isoformat())
    backend = backend_from_url(url)
    first = send_period(engine, settings, period, backend, clock=lambda: T0)
    assert (first.sent, first.retried) == (0, 1)
    assert send_period(engine, settings, period, backend, clock=lambda: T0).sent == 0  # not due yet
    later = send_period(engine, settings, period, backend, clock=lambda: T0 + timedelta(minutes=2))
    backend.close()
    assert later.sent == 1 and len(script.received) == 1
    with Session(engine) as s:
        row = s.execute(select(OutboxMessage)).scalar_one()
    assert (row.status, row.attempts) == ("sent", 1)


def test_550_suppresses_the_address(engine: Engine, db_url: str, tmp_path: Path,
                                    smtp: tuple[Script, str]) -> None:
    """A permanent failure suppresses: the next period plans nothing for that address."""
    script, url = smtp
    script.replies["gone@example.org"] = ["550 5.1.1 no such user"]
    _setup(engine, ["gone@example.org"])
    settings = _settings(tmp_path, db_url)
    backend = backend_from_url(url)
    report = send_period(engine, settings, parse_day(DAY.isoformat()), backend, clock=lambda: T0)
    assert report.suppressed == 1
    with Session(engine) as s:
        sub = s.execute(select(Subscriber)).scalar_one()
        assert not may_receive(s, sub)
    nxt = send_period(engine, settings, parse_day("2026-03-03"), backend, clock=lambda: T0 + timedelta(days=1))
    backend.close()
    assert (nxt.planned, nxt.sent) == (0, 0)


def test_two_concurrent_senders_send_one_each(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """Two runs at once on the same period: one digest per subscriber in total."""
    emails = [f"r{i}@example.org" for i in range(30)]
    _setup(engine, emails)
    settings, period = _settings(tmp_path, db_url), parse_day(DAY.isoformat())
    name = f"memory:senders-{uuid.uuid4().hex}"  # outboxes are per process: keep runs apart
    backend = backend_from_url(name)
    reports: list[Any] = []
    threads = [threading.Thread(target=lambda: reports.append(
        send_period(engine, settings, period, backend_from_url(name),
                    clock=lambda: T0))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    recipients = sorted(m["To"] for m in backend.outbox)  # type: ignore[attr-defined]
    assert recipients == sorted(emails)
    assert sum(r.sent for r in reports) == 30


def test_nothing_matched_sends_nothing(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """A subscriber whose topics match no paper of the period gets no (empty) mail."""
    _setup(engine, ["picky@example.org"])
    with Session(engine) as s, s.begin():
        s.execute(select(Subscriber)).scalar_one().categories = ["astro-ph"]
    name = f"memory:picky-{uuid.uuid4().hex}"
    report = send_period(engine, _settings(tmp_path, db_url), parse_day(DAY.isoformat()), backend_from_url(name),
                         clock=lambda: T0)
    assert (report.planned, report.sent, report.skipped) == (1, 0, 1)
    assert backend_from_url(name).outbox == []  # type: ignore[attr-defined]


def test_a_rate_cap_spaces_the_messages(engine: Engine, db_url: str, tmp_path: Path,
                                        smtp: tuple[Script, str]) -> None:
    """PAPERSTAND_MAIL_RATE=20: of 30 digests, 20 go at once (the burst), then one every 1/20 s."""
    script, url = smtp
    _setup(engine, [f"r{i}@example.org" for i in range(30)])
    settings = _settings(tmp_path, db_url).model_copy(update={"mail_rate": 20.0})
    clock = FakeClock()
    backend = backend_from_url(url)
    report = send_period(engine, settings, parse_day(DAY.isoformat()), backend, clock=lambda: T0,
                         pacer=Pacer(settings.mail_rate, clock=clock, sleep=clock.sleep))
    backend.close()
    assert report.sent == 30 and len(script.received) == 30
    assert clock.sleeps == pytest.approx([0.05] * 10)  # the ten beyond the burst waited their turn
