"""``paperstand trending recompute``: the bulk job by hand, as of now or of another time."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.unit.ranking.trending_rows import NOW, random_community
from typer.testing import CliRunner

from paperstand.cli import app
from paperstand.ranking.models import TrendingScore


def test_recompute_scores_as_of_the_time_given(engine: Engine, db_url: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSTAND_DATABASE_URL", db_url)
    monkeypatch.setenv("PAPERSTAND_DATA_DIR", str(tmp_path))
    with Session(engine) as s:
        random_community(s, seed=2, papers=15)
    result = CliRunner().invoke(app, ["trending", "recompute", "--at", NOW.isoformat()])
    assert result.exit_code == 0, result.output
    with Session(engine) as s:
        stored = s.execute(select(func.count()).select_from(TrendingScore)).scalar_one()
    assert stored > 0 and f"{stored:,} papers trending: {stored:,} scores changed" in result.output
    # A month later nothing is inside the week's window: every paper stopped trending.
    later = CliRunner().invoke(app, ["trending", "recompute", "--at", "2027-01-05T00:00:00"])
    assert later.exit_code == 0 and f"{stored:,} papers stopped trending" in later.output
    bad = CliRunner().invoke(app, ["trending", "recompute", "--at", "yesterday"])
    assert bad.exit_code == 2 and "is not an ISO 8601 time" in bad.output
