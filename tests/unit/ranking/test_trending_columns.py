"""Reading columns in bulk: SQLite's stored times parsed by numpy as the pure formula counts seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from paperstand.ranking.columns import _sqlite_seconds
from paperstand.ranking.trending import seconds


def test_stored_times_become_the_same_whole_seconds() -> None:
    rng = np.random.default_rng(1)
    times = [datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=int(s), microseconds=int(u))
             for s, u in zip(rng.integers(0, 4_000_000_000, 5000), rng.integers(0, 10**6, 5000), strict=True)]
    times += [datetime(2000, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC), datetime(2100, 3, 1, tzinfo=UTC),
              datetime(1970, 1, 1, tzinfo=UTC)]
    parsed = _sqlite_seconds(",".join(t.strftime("%Y-%m-%d %H:%M:%S.%f") for t in times))
    assert parsed is not None and parsed.tolist() == [seconds(t) for t in times]


def test_another_layout_is_refused_so_that_sqlite_converts_it() -> None:
    assert _sqlite_seconds("2026-11-28 10:00:00") is None  # no fraction: a different width
    assert _sqlite_seconds("2026-11-28 10:00:00.000000,2026-11-28 10:00:00") is None
    assert _sqlite_seconds("2026-1x-28 10:00:00.000000") is None
