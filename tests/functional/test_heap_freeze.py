"""A server leaves what it built at start-up out of the garbage collector's full passes; a test app does not."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperstand.app import GC_THRESHOLDS, create_app
from paperstand.config import Settings


@pytest.fixture
def unfrozen() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test run collects as before
    gc.set_threshold(*thresholds)


def test_a_server_app_freezes_its_heap_once_started(tmp_path: Path, unfrozen: None) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", harvest_on_start=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/daily_papers").status_code == 200
        assert gc.get_freeze_count() == 0
    with TestClient(create_app(settings, freeze_heap=True)) as client:
        assert gc.get_freeze_count() > 10_000  # modules, routes, tables: all of start-up
        assert gc.get_threshold() == GC_THRESHOLDS
        assert client.get("/api/daily_papers").status_code == 200
