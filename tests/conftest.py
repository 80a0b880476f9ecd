"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database: a temporary SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'paperstand.db'}"
        return
    if not postgres_reachable():
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}; set PAPERSTAND_TEST_POSTGRES_URL")
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
