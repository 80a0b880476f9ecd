"""PostgreSQL backups with ``pg_dump`` (custom format) and restores with ``pg_restore`` piped into ``psql``."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL, make_url

from paperstand.backup.errors import BackupError, RestoreError

# Seconds a dump or restore may take before it is given up (a large site dumps in minutes, not hours).
TOOL_TIMEOUT_S = 6 * 3600


def tool(name: str) -> str:
    """The path of a PostgreSQL client program (``pg_dump``, ``pg_restore``, ``psql``)."""
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if found is None:
        raise BackupError(f"backup: {name} is not installed; install the PostgreSQL client tools")
    return found


def schema_of(url: str) -> str:
    """The schema the URL's ``options=-csearch_path=...`` selects (its first entry), else ``public``."""
    options = unquote(str(make_url(url).query.get("options", "")))
    for part in options.replace("-c ", "-c").split():
        if part.startswith("-csearch_path="):
            first = part.split("=", 1)[1].split(",")[0].strip().strip('"')
            if first:
                return first
    return "public"


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for the SQLAlchemy URL, and the environment carrying its password.

    The password goes in ``PGPASSWORD`` rather than on the command line, where ``ps`` would show it.
    """
    parsed: URL = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def dump(engine: Engine, url: str, dest: Path, snapshot: str) -> None:
    """Write a custom-format dump of the URL's schema to ``dest``, as of the exported ``snapshot``."""
    uri, env = libpq(url)
    cmd = [tool("pg_dump"), "--format=custom", f"--schema={schema_of(url)}", f"--snapshot={snapshot}",
           f"--file={dest}", f"--dbname={uri}"]
    _run(cmd, env, "backup: pg_dump failed", BackupError)


def dump_schema(path: Path) -> str | None:
    """The schema a dump holds, read from its table of contents (``None``: no schema entry)."""
    proc = subprocess.run([tool("pg_restore"), "--list", str(path)], capture_output=True, text=True,
                          timeout=600, check=False)
    if proc.returncode != 0:
        raise RestoreError(f"restore: {path} is not a readable pg_dump file: {_last_line(proc.stderr)}")
    for line in proc.stdout.splitlines():
        fields = line.split()
        # "7; 2615 23231 SCHEMA - name owner"
        if len(fields) >= 6 and fields[3] == "SCHEMA" and fields[4] == "-":
            return fields[5]
    return None


def restore(url: str, path: Path, schema: str) -> None:
    """Replace ``schema`` with the dump's contents in one transaction: on any error nothing changes."""
    uri, env = libpq(url)
    drop = f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'
    reader = subprocess.Popen([tool("pg_restore"), "--no-owner", "--no-privileges", "--no-comments",
                               "--file=-", str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        # psql -1 runs the DROP and the whole dump as one transaction, ON_ERROR_STOP aborts it at the
        # first error: a failed restore leaves the database as it was.
        writer = subprocess.run([tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-c", drop,
                                 "-f", "-", f"--dbname={uri}"], stdin=reader.stdout, capture_output=True,
                                text=True, env=env, timeout=TOOL_TIMEOUT_S, check=False)
    finally:
        assert reader.stdout is not None
        reader.stdout.close()
        reader_err = reader.stderr.read().decode(errors="replace") if reader.stderr else ""
        reader.wait()
    if reader.returncode != 0:
        raise RestoreError(f"restore: pg_restore failed: {_last_line(reader_err)}")
    if writer.returncode != 0:
        raise RestoreError(f"restore: psql failed, nothing was changed: {_last_line(writer.stderr)}")


def export_snapshot(conn: Connection) -> str:
    """Export the snapshot of the open REPEATABLE READ transaction, for ``pg_dump --snapshot``."""
    return str(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())


def _run(cmd: list[str], env: dict[str, str], what: str, error: type[BackupError]) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=TOOL_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise error(f"{what}: no answer after {TOOL_TIMEOUT_S} s") from None
    if proc.returncode != 0:
        raise error(f"{what}: {_last_line(proc.stderr)}")


def _last_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    # pg tools prefix their messages with their name; the first error line names the cause.
    errors = [ln for ln in lines if "error" in ln.lower()]
    return (errors[0] if errors else lines[-1] if lines else "no message").removeprefix("pg_dump: ")
