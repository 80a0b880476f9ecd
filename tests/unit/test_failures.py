"""``describe_failure``: the one line an operator reads for a disk or database failure (exact wording)."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from paperstand.failures import Where, describe_failure

SQLITE = Where(database_url="sqlite:////srv/var/paperstand.db", data_dir=Path("/srv/var"))
PG = Where(database_url="postgresql+psycopg://ps:secret@127.0.0.1:5999/x?options=-csearch_path%3Dt1")


def _wrapped(orig: BaseException) -> OperationalError:
    """The error as SQLAlchemy raises it, with the driver's error as ``orig`` and cause."""
    try:
        raise OperationalError("SELECT 1", {}, orig) from orig
    except OperationalError as exc:
        return exc


def _never(folder: Path) -> str | None:
    raise AssertionError("no probe expected")


@pytest.mark.parametrize(("error", "line"), [
    (OSError(errno.EROFS, "Read-only file system", "/srv/var/secret.key"),
     "paperstand: cannot write /srv/var/secret.key: read-only file system"),
    (OSError(errno.ENOSPC, "No space left on device", "/srv/var/mail/a.eml"),
     "paperstand: cannot write /srv/var/mail/a.eml: no space left on device"),
    (PermissionError(errno.EACCES, "Permission denied", "/srv/var"),
     "paperstand: cannot access /srv/var: permission denied"),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "/srv/model"),
     "paperstand: cannot find /srv/model: no such file or directory"),
    (OSError(errno.ENOSPC, "No space left on device"),
     "paperstand: cannot write under /srv/var: no space left on device"),
])
def test_disk_errors_name_the_file(error: OSError, line: str) -> None:
    """An OSError names its file (or the data folder when it has none) and the cause, lower-cased."""
    assert describe_failure(error, SQLITE, probe=_never) == line


def test_other_os_errors_are_not_ours_to_word() -> None:
    """A refused connection with nothing to name stays a traceback: it is a bug or has its own message."""
    assert describe_failure(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), SQLITE) is None
    assert describe_failure(ValueError("x"), SQLITE) is None


@pytest.mark.parametrize(("message", "line"), [
    ("database is locked", "paperstand: database /srv/var/paperstand.db is locked by another process"),
    ("database or disk is full", "paperstand: cannot write /srv/var/paperstand.db: no space left on device"),
    ("file is not a database", "paperstand: /srv/var/paperstand.db is not a SQLite database"),
    ("no such table: papers", "paperstand: database /srv/var/paperstand.db: no such table: papers"),
])
def test_sqlite_messages_are_worded_with_the_database_path(message: str, line: str) -> None:
    """SQLite's messages name no file: the line adds the database's path."""
    assert describe_failure(_wrapped(sqlite3.OperationalError(message)), SQLITE, probe=_never) == line


def test_sqlite_cannot_open_asks_the_folder_why() -> None:
    """"unable to open database file" in a read-only folder: the probe's reason, with the folder."""
    seen: list[Path] = []

    def probe(folder: Path) -> str | None:
        seen.append(folder)
        return "read-only file system"

    error = _wrapped(sqlite3.OperationalError("unable to open database file"))
    assert describe_failure(error, SQLITE, probe=probe) == "paperstand: cannot write /srv/var: read-only file system"
    assert seen == [Path("/srv/var")]
    assert describe_failure(error, SQLITE, probe=lambda _: None) == (
        "paperstand: cannot open /srv/var/paperstand.db: unable to open database file")
    readonly = _wrapped(sqlite3.OperationalError("attempt to write a readonly database"))
    assert describe_failure(readonly, SQLITE, probe=lambda _: None) == (
        "paperstand: cannot write /srv/var/paperstand.db: attempt to write a readonly database")


def test_a_raw_sqlite_error_without_a_url_names_the_data_folder() -> None:
    """The worker's own SQLite queue raises sqlite3 errors directly, with no URL to name."""
    where = Where(data_dir=Path("/srv/var"))
    assert describe_failure(sqlite3.OperationalError("database is locked"), where) == (
        "paperstand: database a SQLite database under /srv/var is locked by another process")


def test_a_closed_postgresql_port_is_unreachable_with_libpq_reason() -> None:
    """A real refused connection: the URL without password or query, and libpq's cause."""
    engine = create_engine("postgresql+psycopg://ps:secret@127.0.0.1:1/x")
    with pytest.raises(OperationalError) as info, engine.connect() as conn:
        conn.execute(text("select 1"))
    assert describe_failure(info.value, PG) == (
        "paperstand: database postgresql+psycopg://ps:***@127.0.0.1:5999/x is unreachable: connection refused")


@pytest.mark.parametrize(("message", "reason"), [
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "x" does not exist',
     'database "x" does not exist'),
    ("failed to resolve host 'db.invalid': [Errno -2] Name or service not known",
     "failed to resolve host 'db.invalid': [Errno -2] Name or service not known"),
])
def test_postgresql_connection_messages(message: str, reason: str) -> None:
    """The cause after libpq's last "failed:", whatever went wrong while connecting."""
    line = describe_failure(_wrapped(psycopg.OperationalError(message)), PG)
    assert line == f"paperstand: database postgresql+psycopg://ps:***@127.0.0.1:5999/x is unreachable: {reason}"


@pytest.mark.parametrize(("error", "words"), [
    (psycopg.errors.LockNotAvailable("could not obtain lock on row"), "is locked by another process: could not"),
    (psycopg.errors.DiskFull("could not extend file"), "is out of resources: could not extend file"),
    (psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT"), "is read-only: cannot execute INSERT"),
    (psycopg.errors.AdminShutdown("terminating connection"), "is unreachable: terminating connection"),
])
def test_postgresql_errors_by_sqlstate(error: psycopg.Error, words: str) -> None:
    """Locks, a full disk, a standby and a shutdown each get their sentence."""
    line = describe_failure(_wrapped(error), PG)
    assert line is not None and line.startswith("paperstand: database postgresql+psycopg://ps:***@127.0.0.1:5999/x ")
    assert words in line


def test_postgresql_errors_of_the_query_are_not_failures() -> None:
    """A unique violation is a bug or a race, not an operator's problem."""
    assert describe_failure(psycopg.errors.UniqueViolation("duplicate key"), PG) is None


def test_the_cause_chain_is_searched() -> None:
    """A domain error raised from a disk error is worded by the disk error."""
    try:
        try:
            raise OSError(errno.EROFS, "Read-only file system", "/srv/var/suppressions.jsonl")
        except OSError as exc:
            raise RuntimeError("journal") from exc
    except RuntimeError as outer:
        assert describe_failure(outer, SQLITE) == (
            "paperstand: cannot write /srv/var/suppressions.jsonl: read-only file system")


def test_a_redis_queue_that_is_down() -> None:
    """``worker`` with a Redis queue: the queue URL without its password."""
    redis = pytest.importorskip("redis")
    where = Where(queue_url="redis://:pw@127.0.0.1:6390/0")
    line = describe_failure(redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6390."), where)
    assert line == ("paperstand: queue redis://:***@127.0.0.1:6390/0 is unreachable: "
                    "Error 111 connecting to 127.0.0.1:6390.")
