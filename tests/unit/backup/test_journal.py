"""The suppression journal: durable appends, whole lines under concurrency, damage skipped."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperstand.backup import journal
from paperstand.backup.journal import Entry, JournalError
from paperstand.config import Settings
from paperstand.subscriptions.service import confirm_subscription, request_subscription, suppress, unsubscribe

T0 = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)


def test_record_then_read_round_trips_exactly(tmp_path: Path) -> None:
    """What is recorded is read back unchanged, in order, times in UTC to the microsecond."""
    path = tmp_path / "j.jsonl"
    journal.record(path, "Ada@Example.org ", "unsubscribed", T0)
    journal.record(path, "bob@example.org", "hard-bounce", T0.astimezone(timezone(timedelta(hours=5))))
    assert list(journal.read(path)) == [Entry("ada@example.org", "unsubscribed", T0),
                                        Entry("bob@example.org", "hard-bounce", T0)]
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # addresses are personal data


def test_settings_place_the_journal_in_the_data_folder(tmp_path: Path) -> None:
    """Given settings, the journal is ``$PAPERSTAND_DATA_DIR/suppressions.jsonl`` (created on first use)."""
    settings = Settings(data_dir=tmp_path / "new" / "var")
    journal.record(settings, "a@example.org", "unsubscribed", T0)
    assert (tmp_path / "new" / "var" / "suppressions.jsonl").read_text().count("\n") == 1


def test_missing_journal_reads_empty_and_damaged_lines_are_skipped(tmp_path: Path) -> None:
    """A torn last line (crash mid-write), junk and hostile lines are skipped; good lines still count."""
    assert list(journal.read(tmp_path / "absent.jsonl")) == []
    path = tmp_path / "j.jsonl"
    journal.record(path, "a@example.org", "unsubscribed", T0)
    with path.open("ab") as fh:
        fh.write(b"not json\n{\"email\": 3, \"reason\": \"x\", \"at\": \"2026-01-01\"}\n\x00\x01\n")
        fh.write(b'{"email": "b@example.org", "reason": "x", "at": "' + b"9" * 5000 + b'"}\n')
    journal.record(path, "c@example.org", "complaint", T0)
    with path.open("ab") as fh:
        fh.write(b'{"email": "torn@example.org", "rea')
    assert [e.email for e in journal.read(path)] == ["a@example.org", "c@example.org"]


def test_concurrent_appends_keep_every_line_whole(tmp_path: Path) -> None:
    """Many writers at once (web processes, workers): every line arrives, none interleaved."""
    path = tmp_path / "j.jsonl"

    def write(n: int) -> None:
        for i in range(50):
            journal.record(path, f"w{n}-{i}@example.org", "unsubscribed", T0)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = list(journal.read(path))
    assert len(entries) == 400 == len({e.email for e in entries})


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_unwritable_journal_is_one_clear_error(tmp_path: Path) -> None:
    """A journal that cannot be written raises JournalError naming the file (the unsubscribe then fails)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(JournalError, match="suppression journal: cannot write"):
            journal.record(folder / "j.jsonl", "a@example.org", "unsubscribed", T0)
    finally:
        folder.chmod(0o700)


def test_unwritable_journal_path_is_one_clear_error(tmp_path: Path) -> None:
    """Even as root: a journal path below a plain file cannot be created, and says so."""
    (tmp_path / "file").write_text("x")
    with pytest.raises(JournalError, match="suppression journal: cannot write"):
        journal.record(tmp_path / "file" / "j.jsonl", "a@example.org", "unsubscribed", T0)


def test_export_copies_whole_lines_only(tmp_path: Path) -> None:
    """``export`` writes the good entries and says how many."""
    src, dest = tmp_path / "j.jsonl", tmp_path / "out.jsonl"
    journal.record(src, "a@example.org", "unsubscribed", T0)
    with src.open("ab") as fh:
        fh.write(b'{"torn')
    assert journal.export(src, dest) == 1
    assert list(journal.read(dest)) == [Entry("a@example.org", "unsubscribed", T0)]
    assert journal.export(tmp_path / "absent", tmp_path / "empty.jsonl") == 0


def test_unsubscribe_and_suppress_write_the_journal(engine: Engine, tmp_path: Path) -> None:
    """The service's unsubscribe and suppress append one line each when given the settings."""
    settings = Settings(data_dir=tmp_path / "var")
    with Session(engine) as s, s.begin():
        opt_in = request_subscription(s, "ada@example.org", now=T0)
        assert opt_in is not None
        sub_id = confirm_subscription(s, opt_in.token, now=T0).id
    later = T0 + timedelta(days=1)
    with Session(engine) as s, s.begin():
        unsubscribe(s, sub_id, now=later, journal=settings)
        unsubscribe(s, sub_id, now=later + timedelta(hours=1), journal=settings)  # already out: no new line
        suppress(s, "Bob@Example.org", "hard-bounce", now=later, journal=settings)
    assert list(journal.read(journal.journal_path(settings))) == [
        Entry("ada@example.org", "unsubscribed", later), Entry("bob@example.org", "hard-bounce", later)]
