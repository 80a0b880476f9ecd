"""The suppression journal: every unsubscribe and suppression, appended to a file outside the database.

A backup is a picture of the database at one moment; someone who unsubscribes after it is missing
from that picture. The journal is the record that outlives it: one JSON line per suppression in
``$PAPERSTAND_DATA_DIR/suppressions.jsonl``, appended and fsynced before the unsubscribe's
transaction commits, so an acknowledged unsubscribe is always in the journal (a failed commit can
leave an extra line, which errs on the side of sending nothing). ``restore`` re-applies it.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from paperstand.config import Settings
from paperstand.errors import DomainError

JOURNAL_NAME = "suppressions.jsonl"
# Longest line a reader accepts: an address is at most 320 characters, so anything longer is damage.
MAX_LINE = 4096


class JournalError(DomainError):
    """The journal could not be written or read."""


@dataclass(frozen=True)
class Entry:
    """One journalled suppression: who, why, and when it was recorded."""

    email: str
    reason: str
    at: datetime

    def line(self) -> str:
        """The entry as one JSON line (with its newline)."""
        return json.dumps({"email": self.email, "reason": self.reason, "at": self.at.isoformat()},
                          ensure_ascii=True) + "\n"


def journal_path(target: Settings | Path) -> Path:
    """The journal file of a data folder (given its settings), or ``target`` itself when it is a path."""
    if isinstance(target, Settings):
        return target.data_dir / JOURNAL_NAME
    return target


def record(target: Settings | Path, email: str, reason: str, at: datetime | None = None) -> None:
    """Append one suppression to the journal, durably (fsync) and safely beside other processes."""
    at = (at or datetime.now(UTC)).astimezone(UTC)
    path = journal_path(target)
    data = Entry(email.strip().lower(), reason, at).line().encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            # O_APPEND places each write at the end; the lock keeps a line whole when several
            # web and worker processes unsubscribe at the same instant.
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise JournalError(f"suppression journal: cannot write {path}: {exc.strerror or exc}") from exc


def read(path: Path) -> Iterator[Entry]:
    """The entries of a journal file in order; a missing file has none, damaged lines are skipped."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise JournalError(f"suppression journal: cannot read {path}: {exc.strerror or exc}") from exc
    with fh:
        for raw in fh:
            entry = parse_line(raw)
            if entry is not None:
                yield entry


def parse_line(raw: bytes) -> Entry | None:
    """One journal line as an entry, or ``None`` for a torn or damaged line (a crash mid-write)."""
    if len(raw) > MAX_LINE or not raw.endswith(b"\n"):
        return None
    try:
        obj = json.loads(raw)
        at = datetime.fromisoformat(obj["at"])
        email, reason = obj["email"], obj["reason"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(email, str) or not isinstance(reason, str) or not email or not reason:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return Entry(email, reason[:32], at.astimezone(UTC))


def export(source: Path, dest: Path) -> int:
    """Copy the whole lines of journal ``source`` to ``dest`` (fsynced); return how many entries."""
    count = 0
    with dest.open("wb") as out:
        for entry in read(source):
            out.write(entry.line().encode())
            count += 1
        out.flush()
        os.fsync(out.fileno())
    return count
