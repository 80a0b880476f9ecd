"""Failures of the machine rather than of the input: a full or read-only disk, a database that is down or locked.

An operator can act on these, but only when told which path or URL failed and why: a traceback hides that
in its last line. ``describe_failure`` turns such an exception into that one line (or ``None`` for any
other exception, which stays a bug worth a traceback); the command line prints it, the web app answers
503 with it in the log, and ``preflight`` finds the same problems before ``serve`` starts listening.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from paperstand.config import Settings

# Errors of the disk itself: the operator frees space, remounts or fixes permissions.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EIO})
# Of those, the ones that only writing runs into.
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT})

# PostgreSQL SQLSTATE classes and codes (Appendix A of its manual) worth a sentence of their own.
_PG_UNREACHABLE_CLASSES = ("08", "57P")  # connection exceptions; shutting down, starting up, crashed
_PG_LOCKED = frozenset({"55P03", "40P01", "57014"})  # lock not available, deadlock, lock/statement timeout
_PG_FULL_CLASS = "53"  # insufficient resources: disk full, out of memory, too many connections
_PG_READ_ONLY = "25006"  # a standby, or default_transaction_read_only

# Probe: why a folder cannot be written to (``None`` when it can); injectable so tests stay pure.
Probe = Callable[[Path], str | None]


@dataclass(frozen=True)
class Where:
    """What the process was working with, so the line can name it: the database URL and the data folder."""

    database_url: str | None = None
    data_dir: Path | None = None
    queue_url: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> Where:
        """The database, data folder and queue that ``settings`` name."""
        return cls(settings.effective_database_url, settings.data_dir.resolve(), settings.queue_url)


def folder_problem(folder: Path) -> str | None:
    """Why a file cannot be created in ``folder`` (e.g. ``read-only file system``), or ``None`` when it can."""
    error = _folder_error(folder)
    return None if error is None else _reason(error)


def _folder_error(folder: Path) -> OSError | None:
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as exc:
        return exc


def describe_failure(exc: BaseException, where: Where | None = None, *,
                     probe: Probe = folder_problem) -> str | None:
    """One line naming the path or URL and the cause, for a disk or database failure; ``None`` for others."""
    where = where or Where()
    for link in _chain(exc):
        line = _describe_one(link, where, probe)
        if line is not None:
            return f"paperstand: {line}"
    return None


def preflight(settings: Settings) -> None:
    """Check what ``serve`` needs before it listens: a writable data folder and a reachable, current database.

    Raises the failure itself (``describe_failure`` words it), so the server refuses to start with one
    line instead of failing inside the server's startup where the reason is buried in a log.
    """
    from paperstand.db import make_engine, migrate

    folder = settings.data_dir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    error = _folder_error(folder)
    if error is not None:  # the probe's file has a random name: name the folder instead
        raise OSError(error.errno, error.strerror, str(folder)) from error
    engine = make_engine(settings.effective_database_url)
    try:
        migrate(engine)  # connects, and on SQLite writes: a locked or read-only database shows here
    finally:
        engine.dispose()


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then what caused it, each once (SQLAlchemy keeps the driver's error as ``orig``)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        link = todo.pop(0)
        if link is None or id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        orig = getattr(link, "orig", None)
        todo += [orig if isinstance(orig, BaseException) else None, link.__cause__, link.__context__]


def _describe_one(exc: BaseException, where: Where, probe: Probe) -> str | None:
    if isinstance(exc, OSError) and not _is_driver_error(exc):
        return _describe_os(exc, where)
    module = type(exc).__module__
    if module == "sqlite3":
        return _describe_sqlite(str(exc), where, probe)
    if module.startswith("psycopg"):
        return _describe_postgres(exc, where)
    if module.startswith("redis") and type(exc).__name__ in {"ConnectionError", "TimeoutError"}:
        return f"queue {_safe(where.queue_url or 'redis')} is unreachable: {_first_line(str(exc))}"
    return None


def _is_driver_error(exc: BaseException) -> bool:
    # redis' ConnectionError also derives from the builtin one; it is worded with the queue's URL.
    return type(exc).__module__.startswith(("redis", "psycopg"))


def _describe_os(exc: OSError, where: Where) -> str | None:
    """A disk error, with the file it names (or the data folder when it names none)."""
    reason = _reason(exc)
    target = exc.filename if exc.filename is not None else None
    if target is None:
        if exc.errno not in DISK_ERRNOS:
            return None  # a refused connection or the like, with nothing to name: not ours to word
        return f"cannot write under {where.data_dir}: {reason}" if where.data_dir else reason
    verb = "cannot write" if exc.errno in _WRITE_ERRNOS else "cannot access"
    if exc.errno == errno.ENOENT:
        verb = "cannot find"
    return f"{verb} {os.fsdecode(target)}: {reason}"


def _describe_sqlite(message: str, where: Where, probe: Probe) -> str:
    """SQLite's few operational messages, which name no file, worded with the database's path."""
    path = _sqlite_path(where.database_url)
    name = str(path) if path else (f"a SQLite database under {where.data_dir}" if where.data_dir else "SQLite")
    text = message.lower()
    if "locked" in text:
        return f"database {name} is locked by another process"
    if "full" in text:
        return f"cannot write {name}: no space left on device"
    if "not a database" in text:
        return f"{name} is not a SQLite database"
    if any(word in text for word in ("unable to open", "readonly", "disk i/o")):
        # SQLite says "unable to open" for a folder it cannot create its lock files in: ask the folder.
        folder = path.parent if path else where.data_dir
        problem = probe(folder) if folder is not None else None
        if problem is not None:
            return f"cannot write {folder}: {problem}"
        return f"cannot {'write' if 'readonly' in text else 'open'} {name}: {_first_line(message)}"
    return f"database {name}: {_first_line(message)}"


def _describe_postgres(exc: BaseException, where: Where) -> str | None:
    """psycopg errors by SQLSTATE; a failed connection has none, and says so in its message."""
    name = _safe(where.database_url or "PostgreSQL")
    state = getattr(exc, "sqlstate", None) or ""
    text = _first_line(str(exc))
    if state in _PG_LOCKED:
        return f"database {name} is locked by another process: {text}"
    if state == _PG_READ_ONLY:
        return f"database {name} is read-only: {text}"
    if state.startswith(_PG_FULL_CLASS):
        return f"database {name} is out of resources: {text}"
    if state.startswith(_PG_UNREACHABLE_CLASSES) or (not state and type(exc).__name__ == "OperationalError"):
        return f"database {name} is unreachable: {_connect_reason(str(exc))}"
    return None


def _connect_reason(message: str) -> str:
    """The cause in libpq's 'connection to server at "h", port p failed: cause' (first line only)."""
    line = _first_line(message)
    cause = line.rsplit(" failed: ", 1)[-1].removeprefix("connection failed: ")
    cause = cause.removeprefix("FATAL:").strip()
    return cause[:1].lower() + cause[1:]


def _sqlite_path(url: str | None) -> Path | None:
    if not url:
        return None
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _safe(url: str) -> str:
    """The URL without its password or query (a search_path option is noise in one line)."""
    try:
        parsed = make_url(url)
    except Exception:  # not a URL at all: say only where it points
        return url.rpartition("@")[2]
    return parsed.set(query={}).render_as_string(hide_password=True)


def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else "unknown error"
