"""When a digest is due, and which featured days it covers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from paperstand.digests.due import Due, Schedule, due_digest, due_label, next_slot, week_label

# Tuesday 2026-03-03, 07:30 UTC.
TUE_0730 = datetime(2026, 3, 3, 7, 30, tzinfo=UTC)
DAILY8 = Schedule("daily", 8, "UTC")


def test_daily_is_due_from_the_send_hour_on_weekdays_only() -> None:
    assert due_label(DAILY8, TUE_0730) is None
    assert due_label(DAILY8, TUE_0730.replace(hour=8, minute=0)) == "2026-03-03"
    assert due_label(DAILY8, TUE_0730.replace(hour=23)) == "2026-03-03"
    assert due_label(DAILY8, datetime(2026, 3, 7, 12, tzinfo=UTC)) is None  # Saturday
    assert due_label(DAILY8, datetime(2026, 3, 8, 12, tzinfo=UTC)) is None  # Sunday


def test_send_hour_is_local_time() -> None:
    tokyo = Schedule("daily", 8, "Asia/Tokyo")  # UTC+9: 07:30 UTC is 16:30 there
    assert due_label(tokyo, TUE_0730) == "2026-03-03"
    la = Schedule("daily", 8, "America/Los_Angeles")  # UTC-8: still Monday 23:30 there
    assert due_label(la, TUE_0730) == "2026-03-02"
    assert due_label(Schedule("daily", 8, "America/Los_Angeles"), datetime(2026, 3, 3, 16, tzinfo=UTC)) \
        == "2026-03-03"


def test_daylight_saving_moves_with_the_zone() -> None:
    berlin = Schedule("daily", 8, "Europe/Berlin")
    # Winter: UTC+1, so 07:00 UTC is 08:00 local. Summer: UTC+2, 06:00 UTC is 08:00 local.
    assert due_label(berlin, datetime(2026, 1, 6, 7, tzinfo=UTC)) == "2026-01-06"
    assert due_label(berlin, datetime(2026, 7, 7, 5, 59, tzinfo=UTC)) is None
    assert due_label(berlin, datetime(2026, 7, 7, 6, tzinfo=UTC)) == "2026-07-07"


def test_unknown_zone_falls_back_to_utc() -> None:
    assert due_label(Schedule("daily", 8, "Mars/Olympus"), TUE_0730.replace(hour=9)) == "2026-03-03"


def test_weekly_is_due_on_its_weekday_and_catches_up_later_in_the_week() -> None:
    wed9 = Schedule("weekly", 9, "UTC", weekday=2)
    assert due_label(wed9, TUE_0730) is None
    assert due_label(wed9, datetime(2026, 3, 4, 8, 59, tzinfo=UTC)) is None
    assert due_label(wed9, datetime(2026, 3, 4, 9, tzinfo=UTC)) == "2026-W10"
    assert due_label(wed9, datetime(2026, 3, 8, 23, tzinfo=UTC)) == "2026-W10"  # Sunday, worker was down
    assert due_label(wed9, datetime(2026, 3, 9, 12, tzinfo=UTC)) is None  # next Monday: new week, not yet
    assert week_label(date(2027, 1, 1)) == "2026-W53"


def test_first_daily_digest_covers_the_newest_featured_day() -> None:
    due = due_digest(DAILY8, TUE_0730.replace(hour=9), last_covered=None, latest_featured=date(2026, 3, 2))
    assert due == Due("2026-03-03", date(2026, 3, 2), date(2026, 3, 2))


def test_later_digests_cover_everything_since_the_previous_one() -> None:
    due = due_digest(DAILY8, TUE_0730.replace(hour=9), last_covered=date(2026, 2, 27),
                     latest_featured=date(2026, 3, 3))
    assert due == Due("2026-03-03", date(2026, 2, 28), date(2026, 3, 3))


def test_nothing_new_means_nothing_due_yet() -> None:
    at9 = TUE_0730.replace(hour=9)
    assert due_digest(DAILY8, at9, last_covered=date(2026, 3, 2), latest_featured=date(2026, 3, 2)) is None
    assert due_digest(DAILY8, at9, last_covered=None, latest_featured=None) is None
    assert due_digest(DAILY8, TUE_0730, last_covered=None, latest_featured=date(2026, 3, 3)) is None  # 07:30


def test_featured_days_after_the_local_date_wait() -> None:
    # In Los Angeles it is still Monday: Tuesday's featured papers belong to a later digest.
    la = Schedule("daily", 8, "America/Los_Angeles")
    due = due_digest(la, datetime(2026, 3, 3, 7, 30, tzinfo=UTC), last_covered=date(2026, 2, 27),
                     latest_featured=date(2026, 3, 3))
    assert due == Due("2026-03-02", date(2026, 2, 28), date(2026, 3, 2))


def test_long_pauses_reach_back_a_bounded_time() -> None:
    at9 = TUE_0730.replace(hour=9)
    due = due_digest(DAILY8, at9, last_covered=date(2025, 1, 1), latest_featured=date(2026, 3, 3))
    assert due == Due("2026-03-03", date(2026, 2, 25), date(2026, 3, 3))
    weekly = Schedule("weekly", 9, "UTC", weekday=1)
    due = due_digest(weekly, at9, last_covered=date(2025, 1, 1), latest_featured=date(2026, 3, 3))
    assert due == Due("2026-W10", date(2026, 2, 18), date(2026, 3, 3))


def test_first_weekly_digest_covers_the_last_seven_featured_days() -> None:
    weekly = Schedule("weekly", 9, "UTC", weekday=1)
    due = due_digest(weekly, TUE_0730.replace(hour=10), last_covered=None, latest_featured=date(2026, 3, 2))
    assert due == Due("2026-W10", date(2026, 2, 24), date(2026, 3, 2))


def test_next_slot_is_now_when_due_and_unused() -> None:
    at9 = TUE_0730.replace(hour=9)
    assert next_slot(DAILY8, at9, set()) == ("2026-03-03", at9)


def test_next_slot_skips_used_keys_and_weekends() -> None:
    friday9 = datetime(2026, 3, 6, 9, 15, tzinfo=UTC)
    assert next_slot(DAILY8, friday9, {"2026-03-06"}) == ("2026-03-09", datetime(2026, 3, 9, 8, tzinfo=UTC))
    assert next_slot(DAILY8, TUE_0730, set()) == ("2026-03-03", datetime(2026, 3, 3, 8, tzinfo=UTC))
    weekly = Schedule("weekly", 9, "UTC", weekday=2)
    assert next_slot(weekly, datetime(2026, 3, 5, 12, tzinfo=UTC), {"2026-W10"}) == \
        ("2026-W11", datetime(2026, 3, 11, 9, tzinfo=UTC))


def test_stale_featured_days_are_not_news() -> None:
    # Nothing featured for a month: no digest, rather than a month-old one.
    at9 = TUE_0730.replace(hour=9)
    assert due_digest(DAILY8, at9, last_covered=None, latest_featured=date(2026, 2, 1)) is None
    assert due_digest(DAILY8, at9, last_covered=None, latest_featured=date(2026, 2, 25)) == \
        Due("2026-03-03", date(2026, 2, 25), date(2026, 2, 25))
