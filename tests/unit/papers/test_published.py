"""The arXiv date of a paper: from its source, else from the month its id names."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paperstand.papers.published import arxiv_date, id_month, keep_precise, published_label


@pytest.mark.parametrize(("arxiv_id", "month"), [
    ("2605.01234", date(2026, 5, 1)),
    ("2605.01234v3", date(2026, 5, 1)),
    ("0704.0001", date(2007, 4, 1)),
    ("1412.9999", date(2014, 12, 1)),
    ("hep-th/9901001", date(1999, 1, 1)),
    ("math.AG/0101001", date(2001, 1, 1)),
    ("astro-ph/0703999", date(2007, 3, 1)),
    ("cond-mat/9108001", date(1991, 8, 1)),
])
def test_the_id_names_its_month(arxiv_id: str, month: date) -> None:
    assert id_month(arxiv_id) == month


@pytest.mark.parametrize("arxiv_id", [None, "", "2613.00001", "2600.00001", "hep-th/9913001", "ps-1234abcd",
                                      "2605.123", "not an id", "2605.01234\x00"])
def test_no_month_from_what_is_not_an_id(arxiv_id: str | None) -> None:
    assert id_month(arxiv_id) is None


def test_the_source_date_wins_over_the_id() -> None:
    day = datetime(2026, 5, 4, 17, 30, tzinfo=UTC)
    assert arxiv_date(day, "2605.01234") == (day, "day")
    assert arxiv_date(None, "2605.01234") == (datetime(2026, 5, 1, tzinfo=UTC), "month")
    assert arxiv_date(None, "hep-th/9901001") == (datetime(1999, 1, 1, tzinfo=UTC), "month")
    assert arxiv_date(None, None) == (None, None)


def test_a_day_beats_a_month_whichever_source_ranks_higher() -> None:
    day = (datetime(2026, 5, 4, tzinfo=UTC), "day")
    month = (datetime(2026, 5, 1, tzinfo=UTC), "month")
    none = (None, None)
    assert keep_precise(month, day, month) == day  # the row knew the day; a month guess does not replace it
    assert keep_precise(month, month, day) == day  # a lower-ranked source that knows the day fills it in
    assert keep_precise(day, month, day) == day
    assert keep_precise(month, none, month) == month
    assert keep_precise(none, none, none) == none
    later = (datetime(2026, 5, 9, tzinfo=UTC), "day")
    assert keep_precise(later, day, later) == later  # between two days the merge's choice stands


def test_labels_say_only_what_is_known() -> None:
    assert published_label(datetime(2026, 5, 4, 23, 0, tzinfo=UTC), "day") == "May 4, 2026"
    assert published_label(datetime(2026, 5, 1, tzinfo=UTC), "month") == "May 2026"
    assert published_label(datetime(1999, 1, 1, tzinfo=UTC), "month") == "January 1999"
    assert published_label(None, None) == ""
