"""Take a backup while the site runs, restore one, keep the last N: the backup domain's entry points.

A backup is a set of files sharing one name: ``NAME`` (the database: a SQLite file or a pg_dump custom
archive), ``NAME.suppressions.jsonl`` (the suppression journal as of the backup) and, when the site's
signing key lives in the data folder, ``NAME.secret.key`` (so unsubscribe links in mail already sent
keep working after a restore). Each is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from paperstand.backup import journal, postgres, sqlite
from paperstand.backup.errors import BackupError, RestoreError, TargetNotEmpty
from paperstand.backup.reapply import Reapplied, reapply
from paperstand.config import Settings
from paperstand.db import is_sqlite, make_engine, make_sessionmaker, migrate

JOURNAL_SUFFIX = ".suppressions.jsonl"
KEY_SUFFIX = ".secret.key"
# Names the nightly job gives its backups; pruning only ever touches files named like this.
NIGHTLY_PREFIX = "paperstand-"
PG_MAGIC = b"PGDMP"
T = TypeVar("T")


@dataclass
class BackupReport:
    """What a backup wrote."""

    path: Path
    size: int
    papers: int
    subscribers: int
    suppressions: int
    journal: Path

    def line(self) -> str:
        """One line for the terminal and the worker log."""
        return (f"backup: wrote {self.path} ({_size(self.size)}; {self.papers:,} papers, "
                f"{self.subscribers:,} subscribers; {self.suppressions:,} journalled suppressions "
                f"in {self.journal.name})")


@dataclass
class RestoreReport:
    """What a restore did."""

    source: Path
    papers: int
    subscribers: int
    reapplied: Reapplied
    journals: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def default_backup_path(settings: Settings, now: datetime | None = None) -> Path:
    """``$PAPERSTAND_DATA_DIR/backups/paperstand-YYYYMMDDTHHMMSSZ.{db,pgdump}``."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    ext = "db" if is_sqlite(settings.effective_database_url) else "pgdump"
    folder = settings.data_dir / "backups"
    path, n = folder / f"{NIGHTLY_PREFIX}{stamp}.{ext}", 0
    while path.exists():  # two backups in one second never overwrite each other
        n += 1
        path = folder / f"{NIGHTLY_PREFIX}{stamp}-{n}.{ext}"
    return path


def backup(settings: Settings, dest: Path | None = None, *, now: datetime | None = None) -> BackupReport:
    """Back up the configured database (consistent while the site writes), its journal and signing key."""
    dest = (dest or default_backup_path(settings, now)).absolute()
    if dest.is_dir():
        raise BackupError(f"backup: {dest} is a folder; give a file name")
    _prepare_folder(dest.parent)
    url = settings.effective_database_url
    with _partial(dest) as tmp:
        papers, subscribers = (_sqlite_backup(url, tmp) if is_sqlite(url) else _postgres_backup(url, tmp))
    jpath = Path(f"{dest}{JOURNAL_SUFFIX}")
    # After the snapshot: the exported journal then holds at least every suppression the snapshot does.
    with _partial(jpath) as tmp:
        entries = _io(lambda: journal.export(journal.journal_path(settings), tmp), "backup", jpath)
    key = settings.data_dir / "secret.key"
    if not settings.secret_key and key.is_file():
        with _partial(Path(f"{dest}{KEY_SUFFIX}")) as tmp:
            _io(lambda: _copy_private(key, tmp), "backup", tmp)
    return BackupReport(dest, dest.stat().st_size, papers, subscribers, entries, jpath)


def _sqlite_backup(url: str, tmp: Path) -> tuple[int, int]:
    source = Path(str(make_url(url).database))
    try:
        sqlite.snapshot(source, tmp)
    except OSError as exc:
        raise BackupError(f"backup: cannot write {tmp.parent}: {exc.strerror or exc}") from exc
    except BackupError:
        raise
    except Exception as exc:  # sqlite3.Error: disk full, I/O error, locked for longer than the timeout
        raise BackupError(f"backup: {exc}") from exc
    _fsync(tmp)
    return sqlite.counts(tmp)


def _postgres_backup(url: str, tmp: Path) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        # One REPEATABLE READ transaction: its exported snapshot is what pg_dump copies, and the
        # counts are read in the same snapshot, so they describe exactly what the dump holds.
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            snap = postgres.export_snapshot(conn)
            counts = _pg_counts(conn)
            postgres.dump(engine, url, tmp, snap)
    except SQLAlchemyError as exc:
        raise BackupError(f"backup: cannot reach the database: {_first_line(exc)}") from exc
    finally:
        engine.dispose()
    if not tmp.is_file():
        raise BackupError("backup: pg_dump wrote nothing")
    _fsync(tmp)
    return counts


def _pg_counts(conn: Connection) -> tuple[int, int]:
    def count(table: str) -> int:
        exists = conn.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table}).scalar_one()
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()) if exists else 0  # noqa: S608

    return count("papers"), count("subscribers")


def restore(settings: Settings, source: Path, *, force: bool = False,
            journals: tuple[Path, ...] = ()) -> RestoreReport:
    """Restore a backup into the configured database, then re-apply every journalled suppression.

    Refuses a database that holds papers or subscribers unless ``force``. Journals re-applied: the
    one exported beside the backup, the data folder's own, and ``journals``.
    """
    source = source.absolute()
    kind = _kind(source)
    url = settings.effective_database_url
    engine = make_engine(url)
    try:
        papers, subscribers = _target_counts(engine)
        if (papers or subscribers) and not force:
            raise TargetNotEmpty(
                f"restore: the database ({_safe(url)}) already holds {papers:,} papers and {subscribers:,} "
                "subscribers; pass --force to replace it with the backup")
        if kind == "sqlite":
            if not is_sqlite(url):
                raise RestoreError("restore: this is a SQLite backup; the configured database is PostgreSQL")
            engine.dispose()  # no connection of ours stays open on the file being replaced
            sqlite.restore(source, Path(str(make_url(url).database)))
        else:
            _postgres_restore(url, source)
        migrate(engine)  # a backup from an older release gets the newer schema
        report = _finish(settings, engine, source, journals)
    finally:
        engine.dispose()
    return report


def _postgres_restore(url: str, source: Path) -> None:
    if is_sqlite(url):
        raise RestoreError("restore: this is a PostgreSQL backup; the configured database is SQLite")
    held, target = postgres.dump_schema(source), postgres.schema_of(url)
    if held is not None and held != target:
        raise RestoreError(f"restore: the backup holds schema {held!r} but the database URL uses {target!r}; "
                           f"set options=-csearch_path={held} in PAPERSTAND_DATABASE_URL")
    postgres.restore(url, source, target)


def _finish(settings: Settings, engine: Engine, source: Path, extra: tuple[Path, ...]) -> RestoreReport:
    """Re-apply the journals, bring back the signing key if the folder has none, rebuild derived indexes."""
    paths = [Path(f"{source}{JOURNAL_SUFFIX}"), journal.journal_path(settings), *extra]
    seen: list[Path] = []
    for p in paths:
        if p.absolute() not in seen:
            seen.append(p.absolute())
    with make_sessionmaker(engine)() as session, session.begin():
        done = reapply(session, (e for p in seen for e in journal.read(p)))
    papers, subscribers = _target_counts(engine)
    report = RestoreReport(source, papers, subscribers, done, [p for p in seen if p.is_file()])
    report.notes += _restore_key(settings, source)
    report.notes += _rebuild_search(settings, engine)
    return report


def _restore_key(settings: Settings, source: Path) -> list[str]:
    saved, here = Path(f"{source}{KEY_SUFFIX}"), settings.data_dir / "secret.key"
    if settings.secret_key or not saved.is_file():
        return []
    if not here.exists():
        here.parent.mkdir(parents=True, exist_ok=True)
        _copy_private(saved, here)
        return [f"signing key restored to {here}: links in mail already sent keep working"]
    if here.read_bytes().strip() != saved.read_bytes().strip():
        return [f"kept this folder's signing key; links in mail sent before the backup need {saved}"]
    return []


def _rebuild_search(settings: Settings, engine: Engine) -> list[str]:
    from paperstand.search.sync import fast_index_ready, reindex

    index_dir = settings.data_dir / "search" / "keyword"
    if not fast_index_ready(engine, index_dir):
        return []
    n = reindex(engine, index_dir, database=False)
    return [f"keyword index rebuilt ({n:,} papers)"]


def _target_counts(engine: Engine) -> tuple[int, int]:
    try:
        with engine.connect() as conn:
            return _pg_counts(conn) if conn.dialect.name != "sqlite" else _sqlite_counts(conn)
    except SQLAlchemyError as exc:
        raise RestoreError(f"restore: cannot reach the database: {_first_line(exc)}") from exc


def _sqlite_counts(conn: Connection) -> tuple[int, int]:
    def count(table: str) -> int:
        exists = conn.execute(text("SELECT 1 FROM sqlite_master WHERE type='table' AND name=:t"),
                              {"t": table}).first()
        return int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()) if exists else 0  # noqa: S608

    return count("papers"), count("subscribers")


def _kind(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise RestoreError(f"restore: cannot read {path}: {exc.strerror or exc}") from exc
    if head.startswith(sqlite.MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise RestoreError(f"restore: {path} is neither a SQLite database nor a pg_dump archive")


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest nightly backups in ``folder`` beyond the newest ``keep``; return what went."""
    found = [p for p in folder.glob(f"{NIGHTLY_PREFIX}*") if p.suffix in (".db", ".pgdump")]
    backups = sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))  # oldest first
    gone = backups[:-keep] if keep > 0 else []
    for path in gone:
        for part in (path, Path(f"{path}{JOURNAL_SUFFIX}"), Path(f"{path}{KEY_SUFFIX}")):
            part.unlink(missing_ok=True)
    return gone


def backup_job(settings: Settings) -> str:
    """Nightly: take a backup into ``$PAPERSTAND_DATA_DIR/backups`` and keep the newest ``PAPERSTAND_BACKUP_KEEP``."""
    if settings.backup_keep <= 0:
        return "nightly backups are off (PAPERSTAND_BACKUP_KEEP=0)"
    report = backup(settings)
    gone = prune(report.path.parent, settings.backup_keep)
    return report.line() + (f"; removed {len(gone)} older" if gone else "")


@contextlib.contextmanager
def _partial(dest: Path) -> Iterator[Path]:
    """A temporary name beside ``dest``, renamed onto it on success and removed on any failure."""
    tmp = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    try:
        # Created here, owner-only (backups hold personal data), so an unwritable folder fails with
        # its own reason before any work is done.
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    except OSError as exc:
        raise BackupError(f"backup: cannot write to {dest.parent}: {exc.strerror or exc}") from exc
    try:
        yield tmp
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _prepare_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"backup: cannot create {folder}: {exc.strerror or exc}") from exc


def _io(work: Callable[[], T], what: str, path: Path) -> T:
    try:
        return work()
    except OSError as exc:
        raise BackupError(f"{what}: cannot write {path}: {exc.strerror or exc}") from exc


def _copy_private(src: Path, dest: Path) -> None:
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, src.open("rb") as inp:
        shutil.copyfileobj(inp, out)
        out.flush()
        os.fsync(out.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk.
    _fsync(folder)


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"
