"""Days, ISO weeks and months: parsing, labels, names, neighbours and bad input, as exact values."""

from __future__ import annotations

from datetime import date

import pytest

from paperstand.papers.periods import (
    BadPeriod,
    Period,
    day_period,
    kind_of,
    month_period,
    of_words,
    papers_of,
    parse_day,
    parse_month,
    parse_period,
    parse_week,
    span_words,
    title,
    week_period_of,
)


def test_parse_each_kind_to_its_half_open_range() -> None:
    assert parse_day("2025-03-11") == Period("day", date(2025, 3, 11), date(2025, 3, 12))
    assert parse_week("2025-W11") == Period("week", date(2025, 3, 10), date(2025, 3, 17))
    assert parse_month("2025-02") == Period("month", date(2025, 2, 1), date(2025, 3, 1))
    assert parse_month("2024-12") == Period("month", date(2024, 12, 1), date(2025, 1, 1))


def test_labels_are_canonical() -> None:
    assert parse_day("2025-03-11").label == "2025-03-11"
    assert parse_week("2025-W01").label == "2025-W01"
    assert parse_month("2025-03").label == "2025-03"


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2020-W53", date(2020, 12, 28), date(2021, 1, 4)),   # 2020 has 53 ISO weeks
    ("2021-W01", date(2021, 1, 4), date(2021, 1, 11)),
    ("2025-W01", date(2024, 12, 30), date(2025, 1, 6)),   # week 1 of 2025 starts in 2024
    ("2026-W53", date(2026, 12, 28), date(2027, 1, 4)),
])
def test_iso_week_edges(text: str, start: date, end: date) -> None:
    period = parse_week(text)
    assert (period.start, period.end, period.label) == (start, end, text)


def test_a_day_belongs_to_its_iso_week_across_the_new_year() -> None:
    assert week_period_of(date(2021, 1, 3)).label == "2020-W53"
    assert week_period_of(date(2024, 12, 31)).label == "2025-W01"


@pytest.mark.parametrize(("text", "kind"), [
    ("2025-02-30", "date"), ("2025-13-01", "date"), ("25-03-11", "date"),
    ("2021-W53", "week"), ("2025-W00", "week"), ("2025-W1", "week"),
    ("2025-13", "month"), ("2025-00", "month"), ("2025-3", "month"),
])
def test_bad_input_names_what_was_expected(text: str, kind: str) -> None:
    parse = {"date": parse_day, "week": parse_week, "month": parse_month}[kind]
    with pytest.raises(BadPeriod, match=f"invalid {kind} {text!r}"):
        parse(text)


def test_parse_period_detects_the_kind_and_limits_it() -> None:
    assert parse_period("2025-03-11") == parse_day("2025-03-11")
    assert parse_period("2025-W11") == parse_week("2025-W11")
    assert parse_period("2025-03") == parse_month("2025-03")
    assert [kind_of(t) for t in ("2025-03-11", "2025-W11", "2025-03", "March")] == ["day", "week", "month", None]
    with pytest.raises(BadPeriod) as err:
        parse_period("2025-03", ("day", "week"))
    assert str(err.value) == ("invalid period '2025-03': expected a date as YYYY-MM-DD (e.g. 2025-03-11) "
                              "or an ISO week as YYYY-Www (e.g. 2025-W11)")
    with pytest.raises(BadPeriod, match="invalid week '2025-W54'"):
        parse_period("2025-W54", ("week",))


@pytest.mark.parametrize("hostile", ["", "\x00", "2025-03-11\n", "2025-W11\x00", "9" * 10_000, "２０２５-03-11"])
def test_hostile_input_is_a_bad_period_not_a_crash(hostile: str) -> None:
    with pytest.raises(BadPeriod):
        parse_period(hostile)


def test_shifted_steps_over_years_and_iso_weeks() -> None:
    assert parse_day("2024-12-31").shifted(1).label == "2025-01-01"
    assert parse_day("2024-03-01").shifted(-1).label == "2024-02-29"
    assert parse_week("2020-W53").shifted(1).label == "2021-W01"
    assert parse_week("2021-W01").shifted(-1).label == "2020-W53"
    assert parse_month("2025-01").shifted(-1).label == "2024-12"
    assert parse_month("2024-11").shifted(14).label == "2026-01"


def test_titles_and_names() -> None:
    day, week, month = parse_day("2025-03-11"), parse_week("2025-W11"), parse_month("2025-03")
    assert [title(p) for p in (day, week, month)] == ["Mar 11, 2025", "Week 11 of 2025", "March 2025"]
    assert [papers_of(p) for p in (day, week, month)] == [
        "Papers of 11 March 2025", "Papers of the week 2025-W11", "Papers of March 2025"]
    assert of_words(day_period(date(2025, 1, 1))) == "of 1 January 2025"
    assert papers_of(month_period(2020, 2)) == "Papers of February 2020"


def test_span_words() -> None:
    assert span_words(date(2025, 3, 11), date(2025, 3, 11)) == "11 March 2025"
    assert span_words(date(2025, 3, 8), date(2025, 3, 11)) == "8–11 March 2025"
    assert span_words(date(2025, 2, 28), date(2025, 3, 3)) == "28 February – 3 March 2025"
    assert span_words(date(2024, 12, 30), date(2025, 1, 2)) == "30 December 2024 – 2 January 2025"
