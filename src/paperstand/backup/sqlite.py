"""SQLite backups through the online backup API, and restores through it in the other direction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from paperstand.backup.errors import BackupError, RestoreError

MAGIC = b"SQLite format 3\x00"


def snapshot(source: Path, dest: Path) -> None:
    """Copy the live database at ``source`` into a new file ``dest``, consistent and self-contained.

    ``backup()`` with the default of all pages in one step copies under one read transaction, so the
    copy is the database as of one commit even while the site writes (WAL lets those writers go on).
    The copy is switched to a rollback journal so it is one file with no ``-wal`` beside it.
    """
    if not source.is_file():
        raise BackupError(f"backup: no database at {source}")
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            check(dst, f"backup: the copy of {source} failed its check")
        finally:
            dst.close()
    finally:
        src.close()


def check(conn: sqlite3.Connection, what: str) -> None:
    """Raise when ``PRAGMA quick_check`` finds damage."""
    result = [r[0] for r in conn.execute("PRAGMA quick_check")]
    if result != ["ok"]:
        raise BackupError(f"{what}: {'; '.join(result)[:200]}")


def counts(path: Path) -> tuple[int, int]:
    """(papers, subscribers) in the database file at ``path``; tables not created yet count 0."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _count(conn, "papers"), _count(conn, "subscribers")
    finally:
        conn.close()


def _count(conn: sqlite3.Connection, table: str) -> int:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone()
    return int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]) if exists else 0  # noqa: S608


def restore(backup: Path, target: Path) -> None:
    """Replace the database at ``target`` with the backup's contents, atomically (backup API into it).

    Copying through SQLite rather than renaming files keeps connections that the site holds valid
    and never mixes the backup with the target's old ``-wal`` file.
    """
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        try:
            check(src, f"restore: {backup} is damaged")
        except BackupError as exc:
            raise RestoreError(exc.message) from None
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise RestoreError(f"restore: cannot write {target}: {exc}") from exc
    finally:
        src.close()
