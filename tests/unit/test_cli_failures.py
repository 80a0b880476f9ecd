"""Reproduction 11: a read-only data folder or an unreachable database ends a command in one line, exit 1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paperstand.db import make_engine, migrate

PAPERSTAND = [sys.executable, "-m", "paperstand"]


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The failure line: exit 1, no traceback, and it is the last thing on stderr."""
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "╭" not in proc.stderr, proc.stderr
    return proc.stderr.strip().splitlines()[-1]


def _read_only(folder: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``paperstand ARGS`` with ``folder`` read-only (a read-only bind mount: root ignores permissions)."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            return subprocess.run([*PAPERSTAND, *args], env=env, capture_output=True, text=True, timeout=120)
        finally:
            folder.chmod(0o700)
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare to make a read-only folder as root")
    script = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script, str(folder), *PAPERSTAND, *args], env=env,
                          capture_output=True, text=True, timeout=120)
    if "mount:" in proc.stderr:
        pytest.skip(f"cannot make a read-only mount here: {proc.stderr.strip()}")
    return proc


@pytest.fixture
def var(tmp_path: Path) -> Path:
    """A data folder holding a migrated SQLite database."""
    folder = tmp_path / "var"
    engine = make_engine(f"sqlite:///{folder / 'paperstand.db'}")
    migrate(engine)
    engine.dispose()
    return folder


@pytest.mark.parametrize("args", [["migrate"], ["search", "lanterns"], ["import", "FILE"], ["serve"]])
def test_read_only_data_folder_is_one_line(var: Path, tmp_path: Path, args: list[str]) -> None:
    """SQLite cannot create its lock files: the line names the folder and says it is read-only."""
    paper = tmp_path / "papers.json"
    paper.write_text('[{"id": "2401.00001", "title": "Lanterns"}]')
    env = {**os.environ, "PAPERSTAND_DATA_DIR": str(var), "PAPERSTAND_LOG_LEVEL": "WARNING"}
    env.pop("PAPERSTAND_DATABASE_URL", None)
    proc = _read_only(var, [str(paper) if a == "FILE" else a for a in args], env)
    reason = "read-only file system" if os.geteuid() == 0 else "permission denied"
    assert _one_line(proc) in {f"paperstand: cannot write {var}: {reason}",
                               f"paperstand: cannot access {var}: {reason}"}


def test_a_closed_postgresql_port_is_one_line(tmp_path: Path) -> None:
    """migrate, import and serve against PostgreSQL on a closed port name the URL (password hidden)."""
    env = {**os.environ, "PAPERSTAND_DATA_DIR": str(tmp_path / "var"),
           "PAPERSTAND_DATABASE_URL": "postgresql+psycopg://ps:secret@127.0.0.1:1/x"}
    expected = "paperstand: database postgresql+psycopg://ps:***@127.0.0.1:1/x is unreachable: connection refused"
    for args in (["migrate"], ["serve"], ["search", "x"]):
        proc = subprocess.run([*PAPERSTAND, *args], env=env, capture_output=True, text=True, timeout=120)
        assert _one_line(proc) == expected
        assert "secret" not in proc.stderr


def test_debug_log_level_keeps_the_traceback(tmp_path: Path) -> None:
    """``PAPERSTAND_LOG_LEVEL=DEBUG``: the developer gets the whole traceback."""
    env = {**os.environ, "PAPERSTAND_DATA_DIR": str(tmp_path / "var"), "PAPERSTAND_LOG_LEVEL": "DEBUG",
           "PAPERSTAND_DATABASE_URL": "postgresql+psycopg://ps@127.0.0.1:1/x"}
    proc = subprocess.run([*PAPERSTAND, "migrate"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "OperationalError" in proc.stderr
