"""A locked or unreachable database, or a read-only data folder: writes answer 503 with Retry-After, reads work."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.web.errors import RETRY_AFTER_S


def _csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get("/subscribe").text)
    assert match
    return match.group(1)


@pytest.fixture
def sqlite_client(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """A client on a SQLite file in its own data folder."""
    var = tmp_path / "var"
    settings = Settings(data_dir=var, harvest_on_start=False, mail_url=f"file://{tmp_path / 'mail'}")
    with TestClient(create_app(settings)) as client:
        yield client, var / "paperstand.db"


def test_locked_sqlite_gives_503_on_subscribe_while_pages_answer(sqlite_client: tuple[TestClient, Path]) -> None:
    """Another process holds the write lock past the busy timeout: POST is 503 + Retry-After; GET / is 200."""
    client, path = sqlite_client
    token = _csrf(client)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        res = client.post("/subscribe", data={"email": "ada@example.org", "csrf": token})
        assert res.status_code == 503 and res.headers["retry-after"] == str(RETRY_AFTER_S)
        assert "try again" in res.text and "Traceback" not in res.text
        assert res.headers["x-content-type-options"] == "nosniff"
        assert client.get("/").status_code == 200
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    again = client.post("/subscribe", data={"email": "ada@example.org", "csrf": token})
    assert again.status_code == 200 and "Check your inbox" in again.text


def test_unreachable_database_gives_503_in_both_shapes(tmp_path: Path) -> None:
    """PostgreSQL on a closed port: pages and API answer 503 (HTML page, JSON error shape) with Retry-After."""
    settings = Settings(database_url="postgresql+psycopg://ps@127.0.0.1:1/x", data_dir=tmp_path / "var",
                        harvest_on_start=False)
    client = TestClient(create_app(settings))  # no lifespan: it would migrate, which needs the database
    api = client.get("/api/daily_papers")
    assert api.status_code == 503 and api.json() == {"error": api.json()["error"], "status": 503}
    assert api.headers["retry-after"] == str(RETRY_AFTER_S)
    page = client.get("/")
    assert page.status_code == 503 and "Temporarily unavailable" in page.text
    assert page.headers["retry-after"] == str(RETRY_AFTER_S)


def test_a_bug_is_still_a_500(engine: Engine, db_url: str) -> None:
    """Only disk and database failures are 503: any other OSError stays a logged 500."""
    app = create_app(Settings(database_url=db_url, harvest_on_start=False))

    @app.get("/refused")
    def refused() -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    with TestClient(app, raise_server_exceptions=False) as client:
        res = client.get("/refused")
    assert res.status_code == 500 and "retry-after" not in res.headers
