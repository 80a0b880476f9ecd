"""Complaints suppress like hard bounces: an ARF report fed to ``paperstand mail feedback``, or the webhook."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from paperstand.app import create_app
from paperstand.cli import app as cli
from paperstand.config import Settings
from paperstand.digests.send import send_period
from paperstand.ingest.record import PaperRecord
from paperstand.mail.backends import MemoryBackend, clear_memory_outboxes
from paperstand.papers.periods import parse_day
from paperstand.papers.store import store_batch
from paperstand.subscriptions.models import Suppression
from paperstand.subscriptions.service import confirm_subscription, request_subscription

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)
TOKEN = "feedback-secret-0123456789"


def _setup(engine: Engine, emails: list[str]) -> None:
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="hf-daily", title=f"Paper {i}", arxiv_id=f"2603.0000{i}",
                                       abstract="It studies things.", categories=["cs.CL"], hf_upvotes=i,
                                       featured_on=DAY + timedelta(days=d), position=i)
                           for d in (0, 1) for i in ((1, 2) if d == 0 else (3, 4))])
    with Session(engine) as s, s.begin():
        for email in emails:
            opt_in = request_subscription(s, email, now=T0)
            assert opt_in is not None
            confirm_subscription(s, opt_in.token, now=T0)


def _settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(database_url=db_url, secret_key="k", base_url="https://papers.example.org", data_dir=tmp_path,
                    feedback_token=TOKEN, harvest_on_start=False)


def _send(engine: Engine, settings: Settings, day: date) -> list[str]:
    """Send the day's digests; the addresses mailed."""
    clear_memory_outboxes()
    backend = MemoryBackend("feedback")
    send_period(engine, settings, parse_day(day.isoformat()), backend, clock=lambda: T0 + timedelta(days=3))
    return sorted(str(m["To"]) for m in backend.outbox)


def _arf(digest: EmailMessage) -> bytes:
    """A provider's feedback-loop report about ``digest``, with the recipient redacted as many providers do."""
    report = EmailMessage()
    report["From"], report["To"], report["Subject"] = "fbl@mail.example.net", "abuse@example.org", "Complaint"
    report.set_content("An abuse report.")
    report.make_mixed()
    fields = EmailMessage()
    fields.set_content("Feedback-Type: abuse\nVersion: 1\nUser-Agent: FBL/1.0\n")
    report.attach(fields)
    report.get_payload()[1].replace_header("Content-Type", "message/feedback-report")
    del digest["To"]
    digest["To"] = "redacted@mail.example.net"
    report.attach(_as_rfc822(digest))
    report.replace_header("Content-Type", 'multipart/report; report-type=feedback-report; boundary="fbl-b"')
    report.set_boundary("fbl-b")
    return report.as_bytes()


def _as_rfc822(message: EmailMessage) -> EmailMessage:
    part = EmailMessage()
    part.set_content(message)
    return part


@pytest.mark.parametrize("maildir", [False, True])
def test_arf_report_suppresses_and_the_next_digest_skips_the_address(
        engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, maildir: bool) -> None:
    """A complaint about a digest, mailed back and read from a file or a Maildir: that reader gets nothing more."""
    settings = _settings(tmp_path, db_url)
    _setup(engine, ["ada@example.org", "bob@example.org"])
    clear_memory_outboxes()
    backend = MemoryBackend("feedback")
    send_period(engine, settings, parse_day(DAY.isoformat()), backend, clock=lambda: T0 + timedelta(hours=3))
    ada = next(m for m in backend.outbox if str(m["To"]) == "ada@example.org")
    target = tmp_path / "Maildir"
    (target / "new").mkdir(parents=True)
    (target / "cur").mkdir()
    (target / "new" / "1.eml").write_bytes(_arf(ada))
    (target / "cur" / "2.eml").write_bytes(b"From: x@example.org\r\nSubject: hello\r\n\r\nnot a report\r\n")
    for name, value in (("DATABASE_URL", db_url), ("SECRET_KEY", "k"), ("DATA_DIR", str(tmp_path))):
        monkeypatch.setenv(f"PAPERSTAND_{name}", value)
    paths = [str(target)] if maildir else [str(target / "new" / "1.eml")]
    result = CliRunner().invoke(cli, ["mail", "feedback", *paths])
    assert result.exit_code == 0, result.output
    assert "complaint: ada@example.org suppressed" in result.output
    again = CliRunner().invoke(cli, ["mail", "feedback", *paths])  # the same report twice changes nothing
    assert again.exit_code == 0
    with Session(engine) as s:
        reasons = s.execute(select(Suppression.email, Suppression.reason)).all()
    assert [tuple(r) for r in reasons] == [("ada@example.org", "complaint")]
    assert (tmp_path / "suppressions.jsonl").read_text().count("ada@example.org") == 1
    assert _send(engine, settings, DAY + timedelta(days=1)) == ["bob@example.org"]


def test_a_named_file_that_is_no_report_exits_1(engine: Engine, db_url: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A file given by name that is no report, or is missing, is named, and the exit code is 1."""
    monkeypatch.setenv("PAPERSTAND_DATABASE_URL", db_url)
    monkeypatch.setenv("PAPERSTAND_DATA_DIR", str(tmp_path))
    plain = tmp_path / "plain.eml"
    plain.write_bytes(b"Subject: hi\r\n\r\nhello\r\n")
    result = CliRunner().invoke(cli, ["mail", "feedback", str(plain), str(tmp_path / "absent.eml")])
    assert result.exit_code == 1
    assert f"{plain}: not a complaint or hard-bounce report" in result.output
    assert "absent.eml: cannot read" in result.output


def test_webhook_complaint_suppresses_and_the_next_digest_skips_the_address(
        engine: Engine, db_url: str, tmp_path: Path) -> None:
    """POST /hooks/mail-feedback with the token: suppressed; the next run sends to the others only."""
    settings = _settings(tmp_path, db_url)
    _setup(engine, ["ada@example.org", "bob@example.org", "cy@example.org"])
    with TestClient(create_app(settings)) as client:
        res = client.post("/hooks/mail-feedback", json={"type": "complaint", "email": "Ada@Example.org"},
                          headers={"Authorization": f"Bearer {TOKEN}"})
        assert res.status_code == 200 and res.json() == {"suppressed": ["ada@example.org"]}
        basic = base64.b64encode(f"postmark:{TOKEN}".encode()).decode()
        res = client.post("/hooks/mail-feedback", headers={"Authorization": f"Basic {basic}"},
                          json={"RecordType": "Bounce", "Type": "HardBounce", "Email": "cy@example.org"})
        assert res.json() == {"suppressed": ["cy@example.org"]}
    assert _send(engine, settings, DAY) == ["bob@example.org"]
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Suppression)).scalar_one() == 2


def test_webhook_refuses_without_the_token(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """No token configured: 404. Wrong or missing token: 401. Bad JSON: 400. Nothing suppressed."""
    body = {"type": "complaint", "email": "ada@example.org"}
    unset = Settings(database_url=db_url, data_dir=tmp_path, harvest_on_start=False)
    with TestClient(create_app(unset)) as client:
        assert client.post("/hooks/mail-feedback", json=body, headers={"Authorization": "Bearer x"}).status_code == 404
    with TestClient(create_app(_settings(tmp_path, db_url))) as client:
        assert client.post("/hooks/mail-feedback", json=body).status_code == 401
        wrong = client.post("/hooks/mail-feedback", json=body, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
        bad = client.post("/hooks/mail-feedback", content=b"[" * 5000,
                          headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
        assert bad.status_code == 400 and bad.json()["status"] == 400
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Suppression)).scalar_one() == 0
