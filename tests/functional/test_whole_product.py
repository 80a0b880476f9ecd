"""`paperstand serve` alone is the whole product: an import becomes searchable by meaning, and digests go out.

No `paperstand worker` and no `paperstand embed`: the one serve process runs the schedule in-process. Slow on a
first run (the int8 model is built in the fresh data folder), so every wait is bounded.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from tests.conftest import LiveServer, start_server

from paperstand.db import make_engine
from paperstand.subscriptions.models import Subscriber

# Building the model on a busy machine takes a few minutes at worst; embedding 69 papers, seconds.
SEARCHABLE_WITHIN_S = 900
# Room for a second digests run (every minute) to show that it sends nothing more.
SECOND_RUN_S = 75


def _get(server: LiveServer, path: str, **params: str) -> tuple[Any, dict[str, str]]:
    url = f"{server.url}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.load(resp), dict(resp.headers)


def _subscribe(db_url: str) -> None:
    """A confirmed subscriber whose send hour (00:00 UTC) has come today."""
    now = datetime.now(UTC)
    # Daily digests go out on weekdays; on a weekend the same subscriber is weekly, due today.
    frequency = "daily" if now.weekday() < 5 else "weekly"
    engine = make_engine(db_url)
    with Session(engine) as s, s.begin():
        s.add(Subscriber(email="reader@example.org", status="confirmed", confirmed_at=now, created_at=now,
                         frequency=frequency, weekday=now.weekday(), send_hour=0, timezone="UTC",
                         categories=[], keywords=[]))
    engine.dispose()


def _wait_until_searchable(server: LiveServer, titles: list[str]) -> dict[str, str]:
    deadline = time.monotonic() + SEARCHABLE_WITHIN_S
    headers: dict[str, str] = {}
    while time.monotonic() < deadline:
        found, headers = _get(server, "/api/papers/search", q=titles[0], mode="semantic", limit="5")
        coverage = headers.get("x-semantic-coverage", "0/0").split("/")
        if coverage[0] == coverage[1] != "0" and found and found[0]["paper"]["title"] == titles[0]:
            return headers
        time.sleep(3)
    raise AssertionError(f"not searchable by meaning after {SEARCHABLE_WITHIN_S} s (last headers: {headers})")


def test_serve_alone_embeds_an_import_and_sends_due_digests(db_url: str, tmp_path: Path,
                                                            seed_listing: Path) -> None:
    data = tmp_path / "var"
    mail = tmp_path / "mail"
    env = {"PAPERSTAND_WORKER": "on", "PAPERSTAND_MAIL_URL": f"file://{mail}", "PAPERSTAND_SECRET_KEY": "whole",
           # The harvest job must never reach the network from a test: point it at a closed local port.
           "PAPERSTAND_ARXIV_OAI_URL": "http://127.0.0.1:9/oai", "PAPERSTAND_HF_API_URL": "http://127.0.0.1:9",
           "PAPERSTAND_HTTP_RETRIES": "0"}
    for server in start_server(db_url, data, env):
        _subscribe(db_url)
        today = datetime.now(UTC).date().isoformat()
        imported = server.run_cli("import", str(seed_listing), "--featured-on", today)
        assert imported.returncode == 0, imported.stderr
        listed, _ = _get(server, "/api/daily_papers", date=today, limit="100")
        titles = [item["paper"]["title"] for item in listed]
        assert len(titles) >= 60

        started = time.monotonic()
        headers = _wait_until_searchable(server, titles)
        assert headers["x-semantic-coverage"] == f"{len(titles)}/{len(titles)}"
        # Another paper, asked by meaning: found among the first results.
        found, _ = _get(server, "/api/papers/search", q=titles[-1], mode="semantic", limit="3")
        assert titles[-1] in [item["paper"]["title"] for item in found]

        while not list(mail.glob("*.eml")) and time.monotonic() - started < SEARCHABLE_WITHIN_S:
            time.sleep(2)
        first = time.monotonic()
        while time.monotonic() - first < SECOND_RUN_S:
            time.sleep(5)
        messages = list(mail.glob("*.eml"))
        assert len(messages) == 1, messages
        assert "reader@example.org" in messages[0].read_text()
