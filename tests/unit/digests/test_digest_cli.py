"""``paperstand digest``: preview, dry run, send once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from paperstand.cli import app
from paperstand.db import make_engine, migrate
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch
from paperstand.subscriptions.service import confirm_subscription, request_subscription

runner = CliRunner()


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with one featured day and one confirmed subscriber; mail to a folder."""
    monkeypatch.setenv("PAPERSTAND_DATABASE_URL", db_url)
    monkeypatch.setenv("PAPERSTAND_MAIL_URL", f"file://{tmp_path / 'mail'}")
    monkeypatch.setenv("PAPERSTAND_SECRET_KEY", "cli-test")
    engine = make_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="listing", title="Lanterns in Caves", abstract="We light caves.",
                                       featured_on=date(2026, 3, 2), position=1)])
    with Session(engine) as s, s.begin():
        opt_in = request_subscription(s, "reader@example.org")
        assert opt_in is not None
        confirm_subscription(s, opt_in.token)
    engine.dispose()
    return tmp_path / "mail"


def test_preview_dry_run_and_send_once(env: Path) -> None:
    """Preview prints the digest; a dry run sends nothing; send delivers once, then never again."""
    preview = runner.invoke(app, ["digest", "preview", "--email", "Reader@example.org", "--period", "2026-03-02"])
    assert preview.exit_code == 0, preview.output
    # Previewed long after that day, the digest names it rather than saying "today".
    assert "Lanterns in Caves" in preview.output and "Subject: 1 paper of 2 March 2026" in preview.output
    that_day = runner.invoke(app, ["digest", "preview", "--email", "reader@example.org", "--period", "2026-03-02",
                                   "--at", "2026-03-02T09:00:00Z"])
    assert "Subject: 1 trending paper today" in that_day.output, that_day.output
    assert "arxiv.org/abs/ps-" not in preview.output + that_day.output
    dry = runner.invoke(app, ["digest", "send", "--period", "2026-03-02", "--dry-run"])
    assert dry.exit_code == 0 and "1 subscriber(s) would get a digest" in dry.output
    assert not env.exists() or not list(env.glob("*.eml"))
    first = runner.invoke(app, ["digest", "send", "--period", "2026-03-02"])
    assert first.exit_code == 0 and "1 sent" in first.output, first.output
    second = runner.invoke(app, ["digest", "send", "--period", "2026-03-02"])
    assert "0 sent" in second.output
    assert len(list(env.glob("*.eml"))) == 1


def test_bad_period_is_a_usage_error(env: Path) -> None:
    """A malformed period is refused with the expected format."""
    result = runner.invoke(app, ["digest", "send", "--period", "March"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def test_send_without_period_sends_what_is_due_now(env: Path) -> None:
    """Daily at 08:00 UTC (the default): nothing before the hour, one digest after it, none again that day."""
    early = runner.invoke(app, ["digest", "send", "--at", "2026-03-02T07:59:00+00:00"])
    assert early.exit_code == 0 and "0 planned, 0 sent" in early.output, early.output
    dry = runner.invoke(app, ["digest", "send", "--dry-run", "--at", "2026-03-02T08:00:00Z"])
    assert "1 subscriber(s) would get a digest" in dry.output and "2026-03-02" in dry.output
    sent = runner.invoke(app, ["digest", "send", "--at", "2026-03-02T08:00:00Z"])
    assert "1 planned, 1 sent" in sent.output, sent.output
    again = runner.invoke(app, ["digest", "send", "--at", "2026-03-02T18:00:00Z"])
    assert "0 planned, 0 sent" in again.output
    # The same day by --period shares the key: still one digest.
    assert "0 sent" in runner.invoke(app, ["digest", "send", "--period", "2026-03-02"]).output
    assert len(list(env.glob("*.eml"))) == 1


def test_preview_shows_the_next_digest_and_when_it_is_due(env: Path) -> None:
    before = runner.invoke(app, ["digest", "preview", "--email", "reader@example.org",
                                 "--at", "2026-03-02T06:00:00Z"])
    assert before.exit_code == 0, before.output
    assert "next digest 2026-03-02, due Mon 2026-03-02 08:00 UTC" in before.output
    assert "Lanterns in Caves" in before.output
    runner.invoke(app, ["digest", "send", "--at", "2026-03-02T08:00:00Z"])
    after = runner.invoke(app, ["digest", "preview", "--email", "reader@example.org",
                                "--at", "2026-03-02T09:00:00Z"])
    assert "next digest 2026-03-03" in after.output and "nothing to send yet" in after.output
    bad = runner.invoke(app, ["digest", "send", "--at", "yesterday"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output
