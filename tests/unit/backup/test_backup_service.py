"""Backup and restore edge cases: refusing a full target, unwritable folders, keeping N, idempotent journals."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperstand.backup import journal
from paperstand.backup.errors import RestoreError, TargetNotEmpty
from paperstand.backup.postgres import schema_of
from paperstand.backup.reapply import reapply
from paperstand.backup.service import backup, backup_job, prune, restore
from paperstand.config import Settings
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch
from paperstand.subscriptions.models import Subscriber, Suppression
from paperstand.subscriptions.service import confirm_subscription, may_receive, request_subscription

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _paper(engine: Engine) -> None:
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="hf-daily", title="Sparse lanterns", arxiv_id="2603.00001",
                                       abstract="Lanterns guide robots.", categories=["cs.RO"])])


def _subscribe(engine: Engine, email: str, at: datetime = T0) -> int:
    with Session(engine) as s, s.begin():
        opt_in = request_subscription(s, email, now=at)
        assert opt_in is not None
        return confirm_subscription(s, opt_in.token, now=at).id


def test_schema_comes_from_the_url_search_path() -> None:
    """The private schema in ``options=-csearch_path=...`` is what gets dumped; else ``public``."""
    assert schema_of("postgresql+psycopg://u@h/db?options=-csearch_path%3Dt_abc") == "t_abc"
    assert schema_of("postgresql+psycopg://u@h/db?options=-c%20search_path%3Dmine,public") == "mine"
    assert schema_of("postgresql+psycopg://u@h/db") == "public"


def test_restore_refuses_a_database_that_holds_data(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """Restoring over papers or subscribers needs --force, and the refusal says so and changes nothing."""
    settings = Settings(database_url=db_url, data_dir=tmp_path / "var")
    _paper(engine)
    report = backup(settings, tmp_path / "b.bak")
    assert (report.papers, report.subscribers) == (1, 0)
    _subscribe(engine, "late@example.org")
    with pytest.raises(TargetNotEmpty, match=r"already holds 1 papers and 1 subscribers; pass --force"):
        restore(settings, report.path)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Subscriber)) == 1
    done = restore(settings, report.path, force=True)
    assert (done.papers, done.subscribers) == (1, 0)


def test_restore_cli_refusal_is_one_line_and_exits_1(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """The command prints one line on stderr and exits 1 when the target is not empty."""
    _paper(engine)
    env = {**os.environ, "PAPERSTAND_DATABASE_URL": db_url, "PAPERSTAND_DATA_DIR": str(tmp_path / "var")}
    run = [sys.executable, "-m", "paperstand"]
    made = subprocess.run([*run, "backup", str(tmp_path / "b.bak")], env=env, capture_output=True, text=True,
                          timeout=120)
    assert made.returncode == 0, made.stderr
    assert "1 papers, 0 subscribers" in made.stdout.replace("\n", " ")
    refused = subprocess.run([*run, "restore", str(tmp_path / "b.bak")], env=env, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 1
    assert "pass --force" in refused.stderr and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) <= 2  # one line, wrapped at most once by the terminal


def _run_readonly(folder: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the CLI with ``folder`` read-only: a read-only bind mount as root, permissions otherwise."""
    cmd = [sys.executable, "-m", "paperstand", *args]
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        finally:
            folder.chmod(0o700)
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare to make a read-only folder as root")
    script = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script, str(folder), *cmd], env=env, capture_output=True,
                          text=True, timeout=120)
    if "mount:" in proc.stderr:
        pytest.skip(f"cannot make a read-only mount here: {proc.stderr.strip()}")
    return proc


def test_backup_into_a_read_only_folder_fails_in_one_line_leaving_nothing(engine: Engine, db_url: str,
                                                                         tmp_path: Path) -> None:
    """A read-only target folder: exit 1, one line naming the folder and the reason, no file left."""
    _paper(engine)
    folder = tmp_path / "ro"
    folder.mkdir()
    env = {**os.environ, "PAPERSTAND_DATABASE_URL": db_url, "PAPERSTAND_DATA_DIR": str(tmp_path / "var")}
    proc = _run_readonly(folder, ["backup", str(folder / "b.bak")], env)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith(f"backup: cannot write to {folder}")
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) <= 2
    assert list(folder.iterdir()) == []


def test_a_failed_backup_leaves_no_partial_file(tmp_path: Path) -> None:
    """The database is missing: an error, and neither the backup nor its temporary file remains."""
    settings = Settings(data_dir=tmp_path / "var")
    with pytest.raises(Exception, match="backup: no database at"):
        backup(settings, tmp_path / "out" / "b.db")
    assert list((tmp_path / "out").iterdir()) == []


def test_restore_of_something_else_is_one_clear_error(tmp_path: Path) -> None:
    """A file that is no backup is named in the error; nothing is touched."""
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00hello")
    settings = Settings(data_dir=tmp_path / "var")
    with pytest.raises(RestoreError, match="neither a SQLite database nor a pg_dump archive"):
        restore(settings, junk)
    with pytest.raises(RestoreError, match="cannot read"):
        restore(settings, tmp_path / "absent.db")


def test_reapplying_a_journal_twice_changes_nothing_the_second_time(engine: Engine, tmp_path: Path) -> None:
    """Re-applying is idempotent: the same entries add no second suppression row."""
    sub_id = _subscribe(engine, "ada@example.org")
    path = tmp_path / "j.jsonl"
    journal.record(path, "ada@example.org", "unsubscribed", T0 + timedelta(hours=1))
    journal.record(path, "bob@example.org", "hard-bounce", T0 + timedelta(hours=2))
    with Session(engine) as s, s.begin():
        first = reapply(s, journal.read(path))
    with Session(engine) as s, s.begin():
        second = reapply(s, [*journal.read(path), *journal.read(path)])
    assert (first.read, first.added, first.unsubscribed) == (2, 2, 1)
    assert (second.read, second.added, second.unsubscribed) == (4, 0, 0)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Suppression)) == 2
        sub = s.get(Subscriber, sub_id)
        assert sub is not None and sub.status == "unsubscribed" and not may_receive(s, sub)


def test_reapplying_keeps_a_subscription_confirmed_after_the_unsubscribe(engine: Engine, tmp_path: Path) -> None:
    """Someone who unsubscribed and later came back stays subscribed: the journal only removes, never undoes."""
    path = tmp_path / "j.jsonl"
    journal.record(path, "ada@example.org", "unsubscribed", T0 - timedelta(days=3))
    sub_id = _subscribe(engine, "ada@example.org")
    with Session(engine) as s, s.begin():
        done = reapply(s, journal.read(path))
    assert (done.added, done.unsubscribed) == (1, 0)
    with Session(engine) as s:
        sub = s.get(Subscriber, sub_id)
        assert sub is not None and may_receive(s, sub)


def test_prune_keeps_the_newest_n_nightly_backups_only(tmp_path: Path) -> None:
    """The oldest nightly backups (and their journals) go; files named otherwise are never touched."""
    names = [f"paperstand-2026030{d}T031500Z.db" for d in range(1, 6)]
    for i, name in enumerate(names):
        for part in (name, name + ".suppressions.jsonl"):
            (tmp_path / part).write_text("x")
            os.utime(tmp_path / part, ns=(i * 10**9, i * 10**9))
    (tmp_path / "my-own.db").write_text("x")
    gone = prune(tmp_path, 2)
    assert [p.name for p in gone] == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["my-own.db", *names[3:], *(n + ".suppressions.jsonl" for n in names[3:])])
    assert prune(tmp_path, 0) == []  # 0 means nightly backups are off, not "delete them all"


def test_backup_job_keeps_n_and_can_be_off(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """The nightly job writes into the data folder's backups/ and keeps PAPERSTAND_BACKUP_KEEP of them."""
    off = Settings(database_url=db_url, data_dir=tmp_path / "var", backup_keep=0)
    assert "off" in backup_job(off) and not (tmp_path / "var" / "backups").exists()
    settings = Settings(database_url=db_url, data_dir=tmp_path / "var", backup_keep=2)
    _paper(engine)
    lines = [backup_job(settings) for _ in range(3)]
    assert "removed 1 older" in lines[2]
    kept = sorted(p.name for p in (tmp_path / "var" / "backups").iterdir())
    assert len(kept) == 4 and sum(n.endswith(".suppressions.jsonl") for n in kept) == 2
