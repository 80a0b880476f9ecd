"""The outbox of single messages: delivered once over real SMTP, retried with backoff, given up, leased."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default

from smtp_server import DEFER_DATA, NO_SUCH_USER, SmtpServer
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.mail import outbox_send
from paperstand.mail.backends import MemoryBackend, backend_from_url
from paperstand.mail.models import OutgoingMail
from paperstand.mail.outbox import enqueue
from paperstand.mail.outbox_send import RETRY_DELAYS, OutboxReport, claim, send_outbox

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS = Settings(base_url="https://papers.test", mail_from="papers@papers.test", site_name="Lab papers")


def _queue(engine: Engine, *addresses: str) -> None:
    with Session(engine) as s:
        for i, to in enumerate(addresses):
            enqueue(s, kind="account-verify", to=to, subject=f"Hello {i}", text=f"Body {i}\n", now=NOW,
                    dedupe_key=f"test:{i}:{to}")
        s.commit()


def _rows(engine: Engine) -> dict[str, OutgoingMail]:
    with Session(engine) as s:
        return {r.to_address: r for r in s.scalars(select(OutgoingMail))}


def test_due_mail_goes_out_once_over_smtp_with_its_headers(engine: Engine, smtp_server: SmtpServer) -> None:
    _queue(engine, "ada@example.org", "bob@example.org")
    backend = backend_from_url(smtp_server.url)
    try:
        assert send_outbox(engine, SETTINGS, backend, now=NOW) == OutboxReport(sent=2)
        assert send_outbox(engine, SETTINGS, backend, now=NOW + timedelta(hours=1)) == OutboxReport()
    finally:
        backend.close()
    got = {r.rcpt_tos[0]: message_from_bytes(r.data, policy=default) for r in smtp_server.handler.received}
    assert set(got) == {"ada@example.org", "bob@example.org"}
    mail = got["ada@example.org"]
    assert mail["From"] == "Lab papers <papers@papers.test>" and mail["Subject"] == "Hello 0"
    assert mail["Message-ID"].endswith("@papers.test>") and mail.get_content().strip() == "Body 0"
    rows = _rows(engine)
    assert all(r.status == "sent" and r.sent_at == NOW and r.lease_owner is None for r in rows.values())


def test_a_deferral_is_retried_with_backoff_then_given_up(engine: Engine, smtp_server: SmtpServer) -> None:
    _queue(engine, DEFER_DATA)
    backend = backend_from_url(smtp_server.url)
    at = NOW
    try:
        for attempt, delay in enumerate(RETRY_DELAYS, start=1):
            assert send_outbox(engine, SETTINGS, backend, now=at) == OutboxReport(retried=1)
            row = _rows(engine)[DEFER_DATA]
            assert (row.attempts, row.next_attempt_at, row.status) == (attempt, at + delay, None)
            assert "451" in (row.last_error or "")
            assert send_outbox(engine, SETTINGS, backend, now=at + delay - timedelta(seconds=1)) == OutboxReport()
            at += delay
        assert send_outbox(engine, SETTINGS, backend, now=at) == OutboxReport(failed=1)
    finally:
        backend.close()
    assert _rows(engine)[DEFER_DATA].status == "failed"
    assert send_outbox(engine, SETTINGS, MemoryBackend("x"), now=at + timedelta(days=9)) == OutboxReport()


def test_a_refused_recipient_is_given_up_at_once(engine: Engine, smtp_server: SmtpServer) -> None:
    _queue(engine, NO_SUCH_USER, "ada@example.org")
    backend = backend_from_url(smtp_server.url)
    try:
        assert send_outbox(engine, SETTINGS, backend, now=NOW) == OutboxReport(sent=1, failed=1)
    finally:
        backend.close()
    assert _rows(engine)[NO_SUCH_USER].status == "failed" and "550" in (_rows(engine)[NO_SUCH_USER].last_error or "")


def test_an_unsendable_address_fails_that_row_only(engine: Engine) -> None:
    _queue(engine, "bad\u0085address@example.org", "ada@example.org")
    box = MemoryBackend("outbox-bad")
    assert send_outbox(engine, SETTINGS, box, now=NOW) == OutboxReport(sent=1, failed=1)
    assert [m["To"] for m in box.outbox] == ["ada@example.org"]


def test_a_crashed_senders_lease_is_respected_then_taken_over(engine: Engine) -> None:
    _queue(engine, "ada@example.org")
    with engine.begin() as conn:
        assert len(claim(conn, "crashed", NOW)) == 1
    box = MemoryBackend("outbox-lease")
    assert send_outbox(engine, SETTINGS, box, now=NOW + timedelta(minutes=1)) == OutboxReport()
    assert send_outbox(engine, SETTINGS, box, now=NOW + timedelta(minutes=6)) == OutboxReport(sent=1)
    first_id = box.outbox[0]["Message-ID"]
    # The crashed sender comes back and tries to record: its lease is gone, so nothing changes.
    row_id = _rows(engine)["ada@example.org"].id
    with engine.begin() as conn:
        assert not outbox_send._record(conn, row_id, "crashed", status="failed")
    assert _rows(engine)["ada@example.org"].status == "sent"
    # A re-send (say the row was reset by hand) reuses the Message-ID, so the recipient sees one message.
    with engine.begin() as conn:
        conn.execute(update(OutgoingMail).values(status=None, sent_at=None))
    send_outbox(engine, SETTINGS, box, now=NOW + timedelta(minutes=7))
    assert box.outbox[1]["Message-ID"] == first_id


def test_concurrent_senders_send_each_message_once(engine: Engine) -> None:
    _queue(engine, *(f"m{i}@example.org" for i in range(60)))
    box = MemoryBackend("outbox-concurrent")
    reports: list[OutboxReport] = []
    threads = [threading.Thread(target=lambda: reports.append(send_outbox(engine, SETTINGS, box, now=NOW)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 60
    assert set(Counter(m["To"] for m in box.outbox).values()) == {1}


def test_limit_stops_a_run_early(engine: Engine) -> None:
    _queue(engine, *(f"m{i}@example.org" for i in range(5)))
    assert send_outbox(engine, SETTINGS, MemoryBackend("outbox-limit"), now=NOW, limit=2).sent == 2
