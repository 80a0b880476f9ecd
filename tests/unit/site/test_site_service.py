"""The public address: the setting wins, else what serve recorded, else a guess that says so."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from paperstand.config import Settings
from paperstand.site.service import public_base_url, record_public_url, recorded_public_url, resolve_public_url


def test_setting_then_recorded_then_guess(engine: Engine, tmp_path: Path) -> None:
    bare = Settings(data_dir=tmp_path, port=8123)
    assert resolve_public_url(engine, bare).source == "guess"
    assert public_base_url(engine, bare) == "http://127.0.0.1:8123"
    record_public_url(engine, "http://127.0.0.1:9001/")
    record_public_url(engine, "http://127.0.0.1:9002")  # a later serve replaces it
    assert recorded_public_url(engine) == "http://127.0.0.1:9002"
    assert resolve_public_url(engine, bare).source == "recorded"
    assert public_base_url(engine, bare) == "http://127.0.0.1:9002"
    set_ = Settings(data_dir=tmp_path, base_url="https://papers.example.org/")
    assert resolve_public_url(engine, set_).url == "https://papers.example.org"
    assert resolve_public_url(engine, set_).source == "setting"
