"""Settings: every one is documented in the README, and defaults are sensible."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperstand.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    """A setting cannot be added without a README row naming it."""
    text = README.read_text(encoding="utf-8")
    missing = [n for n in Settings.model_fields if f"`PAPERSTAND_{n.upper()}`" not in text]
    assert missing == []


def test_every_setting_has_a_description() -> None:
    """The class is the documentation source."""
    assert all(f.description for f in Settings.model_fields.values())


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite under var/ by default; the data dir moves it; base URL follows the port."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"PAPERSTAND_{name.upper()}", raising=False)
    s = Settings()
    assert s.effective_database_url.endswith("/var/paperstand.db")
    assert s.effective_database_url.startswith("sqlite:///")
    monkeypatch.setenv("PAPERSTAND_DATA_DIR", "/tmp/elsewhere")
    monkeypatch.setenv("PAPERSTAND_PORT", "8123")
    s = Settings()
    assert s.effective_database_url == "sqlite:////tmp/elsewhere/paperstand.db"
    assert s.effective_base_url == "http://127.0.0.1:8123"
