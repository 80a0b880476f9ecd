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


def test_categories_are_checked_against_arxiv() -> None:
    """Known categories and archives pass in arXiv's spelling; `foo, cs.XX` is refused with the valid ones."""
    assert parse_preferences({"categories": "cs.cl, CS, quant-ph, cs.CL"}).categories == ("cs.CL", "cs", "quant-ph")
    with pytest.raises(InvalidPreferences) as refused:
        parse_preferences({"categories": "foo, cs.XX"})
    assert list(refused.value.errors) == ["categories"]
    assert refused.value.errors["categories"].startswith("'foo' is not an arXiv category or archive; archives are")


def test_every_bad_field_has_its_own_message() -> None:
    """Several bad fields are reported together, each under its own name."""
    with pytest.raises(InvalidPreferences) as refused:
        parse_preferences({"frequency": "hourly", "weekday": "9", "send_hour": "x", "max_papers": "51",
                           "timezone": "Mars/Olympus", "categories": "cs.XX", "keywords": ",".join("k" * 31)})
    assert refused.value.errors == {
        "frequency": "frequency must be daily or weekly",
        "weekday": "the weekday must be a whole number 0-6",
        "send_hour": "the hour must be a whole number 0-23",
        "max_papers": "the number of papers must be a whole number 1-50",
        "timezone": "unknown time zone 'Mars/Olympus'; pick one from the list, e.g. Europe/Paris",
        "categories": refused.value.errors["categories"],
        "keywords": "at most 30 keywords"}
    assert refused.value.errors["categories"].startswith("'cs.XX' is not an arXiv category; cs has cs.AI")
