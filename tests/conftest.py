"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from paperstand.db import make_engine, migrate

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PAPERSTAND_SHARED_DIR", ROOT.parent / "shared"))
FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_URL = os.environ.get(
    "PAPERSTAND_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

_pg_reachable: bool | None = None
os.environ.setdefault("PAPERSTAND_RATE_LIMITS", "off")  # test servers and apps: limits only where a test sets them
# No recurring jobs in test apps unless a test asks: they would embed, send mail and harvest on their own clock
# (and move the data version under a test's feet).
os.environ.setdefault("PAPERSTAND_WORKER", "off")


def postgres_reachable() -> bool:
    """Whether the test PostgreSQL answers (checked once per run)."""
    global _pg_reachable
    if _pg_reachable is None:
        try:
            with create_engine(POSTGRES_URL).connect() as conn:
                conn.execute(text("select 1"))
            _pg_reachable = True
        except Exception:
            _pg_reachable = False
    return _pg_reachable


def in_ci() -> bool:
    """Whether the run is a CI run (``CI=true``, as CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unreachable() -> str:
    return f"PostgreSQL not reachable at {POSTGRES_URL}; set PAPERSTAND_TEST_POSTGRES_URL"


def pytest_sessionstart(session: pytest.Session) -> None:
    """In CI, stop at once when PostgreSQL is missing: skipping half the suite would pass silently."""
    if in_ci() and not postgres_reachable():
        pytest.exit(f"CI=true but {_unreachable()}", returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database: a temporary SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'paperstand.db'}"
        return
    if not postgres_reachable():
        if in_ci():
            pytest.fail(f"CI=true: {_unreachable()}", pytrace=False)
        pytest.skip(_unreachable())
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on the test database."""
    eng = make_engine(db_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def shared() -> Path:
    """The shared real data folder; tests that need it skip when it is absent."""
    if not (SHARED / "data" / "real").is_dir():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED


@pytest.fixture
def real(shared: Path) -> Path:
    """``shared/data/real``."""
    return shared / "data" / "real"


@pytest.fixture
def seed_listing(shared: Path) -> Path:
    """The seed capture of the Daily Papers page."""
    path = shared / "seed" / "daily-papers-listing.txt"
    if not path.exists():
        pytest.skip("seed capture absent")
    return path


class LiveServer:
    """A ``paperstand serve`` process on a free port, with its own database."""

    def __init__(self, url: str, db_url: str, env: dict[str, str]) -> None:
        self.url = url
        self.db_url = db_url
        self.env = env

    def run_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a ``paperstand`` command against the same database."""
        return subprocess.run([sys.executable, "-m", "paperstand", *args], env=self.env, text=True,
                              capture_output=True, timeout=300)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, data_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """Start ``paperstand serve`` as a real process and wait until it answers."""
    port = _free_port()
    env = {**os.environ, "PAPERSTAND_DATABASE_URL": db_url, "PAPERSTAND_DATA_DIR": str(data_dir),
           "PAPERSTAND_PORT": str(port), "PAPERSTAND_HARVEST_ON_START": "false",
           "PAPERSTAND_LOG_LEVEL": "WARNING",
           # No recurring jobs unless a test asks for them: they would embed, send mail and harvest.
           "PAPERSTAND_WORKER": "off",
           # One web process: tests count mail, limits and cache entries of one server.
           "PAPERSTAND_SERVE_WORKERS": "1", **(extra_env or {})}
    # Migrate before serving so tests can import data while the server starts.
    subprocess.run([sys.executable, "-m", "paperstand", "migrate"], env=env, check=True,
                   capture_output=True, timeout=120)
    proc = subprocess.Popen([sys.executable, "-m", "paperstand", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(url + "/api/daily_papers?limit=1", timeout=2):
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("server did not start in 30 s")
    try:
        yield LiveServer(url, db_url, env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def live_server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A running server on an empty database (SQLite and PostgreSQL)."""
    yield from start_server(db_url, tmp_path / "var")


@contextmanager
def smtp_server(handler: object) -> Iterator[str]:
    """A real SMTP server (aiosmtpd) on a free loopback port, answering through ``handler``; yields its URL."""
    controller_mod = pytest.importorskip("aiosmtpd.controller")
    port = _free_port()
    controller = controller_mod.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}?timeout=5&helo=client.test"
    finally:
        controller.stop()


@dataclass
class CountingSink:
    """An aiosmtpd handler that accepts everything and records (recipient, Message-ID) per message."""

    delay: float = 0.0  # seconds per message, to pace like a real server
    received: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Accept and remember."""
        if self.delay:
            await asyncio.sleep(self.delay)
        msg = message_from_bytes(envelope.original_content, policy=default)
        self.received.append((envelope.rcpt_tos[0], str(msg["Message-ID"])))
        return "250 OK"


@dataclass
class MadeMember:
    """A member stored directly by ``make_member``, with a live login and an API token."""

    id: int
    name: str
    email: str
    cookie: str  # the ``ps_session`` cookie's value
    token: str  # an API token: ``Authorization: Bearer <token>``

    @property
    def headers(self) -> dict[str, str]:
        """Request headers of a page request by this member (per-request ``cookies=`` is deprecated in httpx)."""
        return {"Cookie": f"ps_session={self.cookie}"}

    @property
    def bearer(self) -> dict[str, str]:
        """Headers for an API call as this member."""
        return {"Authorization": f"Bearer {self.token}"}


def make_member(engine: Engine, name: str = "ada", *, role: str = "member", verified: bool = True,
                banned: bool = False, created_at: Any = None) -> MadeMember:
    """Store a member without the join flow (its password hash logs nobody in), logged in, with a token.

    For tests of what members do; the join, verify and login flows have tests of their own.
    """
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import Session

    from paperstand.accounts.models import Member
    from paperstand.accounts.sessions import new_api_token, open_session

    now = datetime.now(UTC)
    created = created_at or now - timedelta(days=30)
    with Session(engine) as session:
        member = Member(name=name, name_key=name.lower(), email=f"{name.lower()}@example.org",
                        display_name=name.title(), password_hash="!", role=role, created_at=created,
                        email_verified_at=created if verified else None,
                        banned_at=now if banned else None, show_upvotes=False, notify_mentions=True)
        session.add(member)
        session.flush()
        cookie = open_session(session, member_id=member.id, now=now)
        token = new_api_token(session, member_id=member.id, name="tests", now=now)
        session.commit()
        return MadeMember(member.id, member.name, member.email, cookie, token)
