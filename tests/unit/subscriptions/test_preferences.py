"""Preference form parsing: exact values and clear refusals."""

from __future__ import annotations

import pytest

from paperstand.subscriptions.preferences import InvalidPreferences, Preferences, parse_preferences


def test_full_form() -> None:
    """Every field parsed; topics split on commas and newlines, deduplicated."""
    prefs = parse_preferences({"frequency": "weekly", "weekday": "4", "send_hour": "7", "timezone": "Europe/Paris",
                               "categories": "cs.CL, cs.LG\ncs.CL", "keywords": "diffusion, graph neural",
                               "max_papers": "15", "paused": "on"})
    assert prefs == Preferences("weekly", 4, 7, "Europe/Paris", ("cs.CL", "cs.LG"), ("diffusion", "graph neural"),
                                15, True)


def test_defaults_from_an_empty_form() -> None:
    """Nothing chosen: daily at 8 UTC, all topics, ten papers, not paused."""
    assert parse_preferences({}) == Preferences("daily", 0, 8, "UTC", (), (), 10, False)


@pytest.mark.parametrize("form", [{"frequency": "hourly"}, {"weekday": "7"}, {"send_hour": "24"},
                                  {"max_papers": "0"}, {"max_papers": "many"}, {"timezone": "Mars/Olympus"},
                                  {"categories": "cs.CL; DROP TABLE"}, {"keywords": ",".join(["k"] * 31)}])
def test_refusals(form: dict[str, str]) -> None:
    """Out-of-range or malformed values are refused with a message."""
    with pytest.raises(InvalidPreferences):
        parse_preferences(form)
