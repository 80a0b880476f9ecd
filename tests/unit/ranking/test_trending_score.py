"""The trending formula: exact values of each part and of the sum, the window, weights, decay, the why line."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from paperstand.ranking import trending
from paperstand.ranking.trending import (
    age_points,
    comments_points,
    span_words,
    stars_points,
    tenths,
    trending_score,
    vote_weight,
    votes_points,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _score(votes: int = 0, *, stars: int = 0, comments: int = 0, age: timedelta = 30 * H,
           first_vote: timedelta = 2 * H, now: datetime = NOW) -> trending.Trending:
    times = [now - first_vote + i * timedelta(minutes=1) for i in range(votes)]
    return trending_score(votes=[(t, 1.0) for t in times], comments=[now - H] * comments, stars=stars,
                          published_at=now - age, now=now)


def test_the_constants_are_the_documented_ones() -> None:
    assert (trending.VOTE_POINTS_PER_DOUBLING, trending.STAR_POINTS_PER_DOUBLING,
            trending.COMMENT_POINTS_PER_DOUBLING, trending.HOURS_PER_POINT) == (1.0, 0.2, 0.5, 24.0)
    assert (timedelta(days=7), timedelta(days=1)) == (trending.ACTIVITY_WINDOW, trending.YOUNG_ACCOUNT)
    assert (trending.YOUNG_ACCOUNT_WEIGHT, trending.EXCLUDED_WEIGHT) == (0.5, 0.0)


def test_the_readme_example_exactly() -> None:
    t = _score(14, stars=230, comments=6, age=72 * H, first_vote=48 * H)
    # log2(15) = 3.907; 0.2 log2(231) = 1.570; 0.5 log2(7) = 1.404; -72/24 = -3
    assert (t.votes, t.votes_part, t.stars_part, t.comments_part, t.age_part) == (14.0, 3.9, 1.6, 1.4, -3.0)
    assert t.score == 3.9 and t.age_hours == 72.0 and t.votes_since == NOW - 48 * H
    assert t.why(NOW) == "▲ 14 votes in 2 days +3.9 · ★ 230 stars +1.6 · 6 comments +1.4 · age 72 h −3.0 = 3.9"


def test_each_part_exactly() -> None:
    assert [votes_points(v) for v in (0, 0.5, 1, 3, 7, 13.5, 1023)] == [0.0, 0.6, 1.0, 2.0, 3.0, 3.9, 10.0]
    assert [stars_points(s) for s in (-5, 0, 1, 31, 1023, 100_000)] == [0.0, 0.0, 0.2, 1.0, 2.0, 3.3]
    assert [comments_points(c) for c in (0, 1, 3, 6, 15)] == [0.0, 0.5, 1.0, 1.4, 2.0]
    # Halves round up: 30 h is -1.25 points, printed -1.2; 6 h is -0.25, printed -0.2.
    assert [age_points(h) for h in (0, 6, 12, 30, 36, 24 * 7)] == [0.0, -0.2, -0.5, -1.2, -1.5, -7.0]
    assert [tenths(x) for x in (0.05, 0.15, -0.05, 2.449999, 2.45)] == [0.1, 0.2, 0.0, 2.4, 2.5]


def test_a_paper_with_one_vote_a_day_old() -> None:
    t = _score(1, age=24 * H)
    assert (t.votes_part, t.age_part, t.score) == (1.0, -1.0, 0.0)
    assert t.why(NOW) == "▲ 1 vote in 2 h +1.0 · age 24 h −1.0 = 0.0"


def test_only_the_window_counts() -> None:
    week = trending.ACTIVITY_WINDOW
    s = timedelta(seconds=1)
    votes = [(NOW - week - s, 1.0), (NOW - week, 1.0), (NOW - week + s, 1.0), (NOW, 1.0), (NOW + s, 1.0)]
    comments = [NOW - week, NOW - week + s, NOW + s]
    t = trending_score(votes=votes, comments=comments, stars=0, published_at=NOW - 10 * week, now=NOW)
    assert (t.votes, t.comments, t.votes_since) == (2.0, 1, NOW - week + s)
    assert t.why(NOW).startswith("▲ 2 votes in 7 days +1.6 · 1 comment +0.5 · age 1,680 h −70.0")


def test_votes_that_count_for_nothing_do_not_make_a_paper_trend() -> None:
    t = trending_score(votes=[(NOW - H, 0.0)] * 5, comments=[], stars=5000, published_at=NOW - H, now=NOW)
    assert not t.trends and t.votes == 0 and t.votes_since is None
    assert t.why(NOW) == "★ 5,000 stars +2.5 · age 1 h +0.0 = 2.5"
    assert trending_score(votes=[], comments=[NOW], stars=0, published_at=NOW, now=NOW).trends


def test_vote_weights() -> None:
    joined = NOW - timedelta(days=30)
    assert vote_weight(voted_at=NOW, joined_at=joined, excluded=False) == 1.0
    assert vote_weight(voted_at=NOW, joined_at=joined, excluded=True) == 0.0
    young = NOW - trending.YOUNG_ACCOUNT + timedelta(seconds=1)
    assert vote_weight(voted_at=NOW, joined_at=young, excluded=False) == 0.5
    assert vote_weight(voted_at=NOW, joined_at=NOW - trending.YOUNG_ACCOUNT, excluded=False) == 1.0
    # Young *when it voted*: the account is old now, but was an hour old then.
    assert vote_weight(voted_at=joined + H, joined_at=joined, excluded=False) == 0.5


def test_young_accounts_count_half() -> None:
    votes = [(NOW - H, 1.0)] * 13 + [(NOW - H, 0.5)]
    t = trending_score(votes=votes, comments=[], stars=0, published_at=NOW - 24 * H, now=NOW)
    assert t.votes == 13.5 and t.votes_part == 3.9
    assert t.why(NOW) == "▲ 13.5 votes in 1 h +3.9 · age 24 h −1.0 = 2.9"


def test_a_day_costs_exactly_one_point() -> None:
    today = _score(10, stars=40, comments=2, age=20 * H, first_vote=3 * H)
    later = _score(10, stars=40, comments=2, age=44 * H, first_vote=27 * H, now=NOW + 24 * H)
    assert today.votes_part == later.votes_part and Decimal(str(today.score)) - Decimal(str(later.score)) == 1
    assert _score(10, age=0 * H).score > _score(10, age=60 * H).score > _score(10, age=600 * H).score


def test_a_published_date_in_the_future_is_no_age() -> None:
    assert _score(3, age=-5 * H).age_part == 0.0 and _score(3, age=-5 * H).age_hours == 0.0


def test_span_words() -> None:
    assert [span_words(s) for s in (0, 59, 3600, 3601, 47 * 3600, 48 * 3600, 49 * 3600, 7 * 86400)] == [
        "1 h", "1 h", "1 h", "2 h", "47 h", "2 days", "3 days", "7 days"]


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 10**6), st.integers(0, 300), st.integers(0, 300))
def test_more_activity_never_lowers_the_score(votes: int, more: int, stars: int, comments: int, age_h: int) -> None:
    base = _score(votes, stars=stars, comments=comments, age=age_h * H)
    assert _score(votes + more, stars=stars, comments=comments, age=age_h * H).score >= base.score
    assert _score(votes, stars=stars + more, comments=comments, age=age_h * H).score >= base.score
    assert _score(votes, stars=stars, comments=comments + more, age=age_h * H).score >= base.score
    assert _score(votes, stars=stars, comments=comments, age=(age_h + more) * H).score <= base.score


_NUMBER = re.compile(r"([+−]?)(\d+\.\d)")


@given(st.lists(st.tuples(st.integers(-8 * 86400, 3600), st.sampled_from([0.0, 0.5, 1.0])), max_size=60),
       st.lists(st.integers(-8 * 86400, 3600), max_size=30), st.integers(-10, 10**7),
       st.integers(-3600, 400 * 86400))
def test_the_why_line_adds_up_exactly(votes: list[tuple[int, float]], comments: list[int], stars: int,
                                       age_s: int) -> None:
    s = timedelta(seconds=1)
    t = trending_score(votes=[(NOW + d * s, w) for d, w in votes], comments=[NOW + d * s for d in comments],
                       stars=stars, published_at=NOW - age_s * s, now=NOW)
    line = t.why(NOW)
    parts, total = line.rsplit(" = ", 1)
    # The signed numbers are the parts; counts ("14 votes", "13.5 votes") carry no sign.
    numbers = [Decimal(n) * (-1 if sign == "−" else 1) for sign, n in _NUMBER.findall(parts) if sign]
    assert sum(numbers, Decimal(0)) == Decimal(total.replace("−", "-")) == Decimal(str(t.score))
    stored = (t.votes_part, t.stars_part, t.comments_part, t.age_part)
    assert sum((Decimal(str(p)) for p in stored), Decimal(0)) == Decimal(str(t.score))
